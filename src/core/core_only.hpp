// Included last by every core source file: the core is plain C++17 and must
// build, be unit-tested and be fuzzed without PostgreSQL, so a PostgreSQL
// header reaching a core translation unit fails the build here.
#pragma once
#if defined(POSTGRES_H) || defined(POSTGRES_FE_H) || defined(C_H)
#error "src/core must not include PostgreSQL headers"
#endif
