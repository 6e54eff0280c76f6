#include "pg/utf8.hpp"

namespace exp_assign::pg {

const char *ToUtf8(const char *data, int len, int *utf8_len)
{
	int encoding = GetDatabaseEncoding();
	if (encoding == PG_UTF8 || encoding == PG_SQL_ASCII) {
		*utf8_len = len;
		return data;
	}
	const char *converted = reinterpret_cast<const char *>(pg_server_to_any(data, len, PG_UTF8));
	*utf8_len = converted == data ? len : static_cast<int>(strlen(converted));
	return converted;
}

}  // namespace exp_assign::pg
