// The one place PostgreSQL's C headers enter the C++ glue. They are written
// for C, so a few warnings that are harmless there are silenced here only.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wregister"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
}
#pragma GCC diagnostic pop

// The core reads a TimestampTz as it is (core/utc_time.hpp): micros since
// 2000 with the sentinels at the ends of int64.
static_assert(DT_NOEND == INT64_MAX && DT_NOBEGIN == INT64_MIN, "TimestampTz sentinels moved");
