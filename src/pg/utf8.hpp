// The bytes the rule hashes and Redis receives are UTF-8 in every database
// (DESIGN.md section 3), whatever the server encoding.
#pragma once

#include "pg/postgres.hpp"

namespace exp_assign::pg {

// UTF-8 bytes of a server-encoded string: data itself when the database is
// UTF-8 or SQL_ASCII, else a palloc'd conversion (ERROR if not convertible).
const char *ToUtf8(const char *data, int len, int *utf8_len);

}  // namespace exp_assign::pg
