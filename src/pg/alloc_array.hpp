// Per-call working arrays, one way for every file: sized per element plus
// one, so a count of 0 still yields a valid pointer, and "huge", so a call
// may exceed 1 GB of bookkeeping as far as CheckPairCount allows.
#pragma once

#include "pg/postgres.hpp"

namespace exp_assign::pg {

// T may itself be a pointer type: sizeof(T) is then meant.
template <typename T> T *AllocArray(size_t count)
{
	return static_cast<T *>(  // NOLINTNEXTLINE(bugprone-sizeof-expression)
		MemoryContextAllocExtended(CurrentMemoryContext, sizeof(T) * (count + 1), MCXT_ALLOC_HUGE));
}

// The same, zero-filled.
template <typename T> T *AllocZeroedArray(size_t count)
{
	return static_cast<T *>(MemoryContextAllocExtended(CurrentMemoryContext, sizeof(T) * (count + 1),
													   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO));
}

}  // namespace exp_assign::pg
