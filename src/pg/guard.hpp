// The boundary between C++ and PostgreSQL error handling.
//
// A C++ exception must never unwind into PostgreSQL's C frames, and
// ereport's longjmp must never skip a live C++ destructor. CallCore runs a
// core call that may throw (it allocates), keeps only a copy of the message,
// leaves the catch block and only then raises the ERROR, so no C++ object is
// alive when PostgreSQL longjmps. Core code that cannot throw (hashing, the
// rule, batching: all noexcept and allocation-free) is called directly.
#pragma once

#include "pg/postgres.hpp"

#include <exception>
#include <new>

namespace exp_assign::pg {

template <typename Fn> void CallCore(const char *what, Fn &&fn)
{
	char message[256];
	bool out_of_memory = false;
	message[0] = '\0';
	try {
		fn();
		return;
	} catch (const std::bad_alloc &) {
		out_of_memory = true;
	} catch (const std::exception &e) {
		strlcpy(message, e.what(), sizeof message);
	} catch (...) {
		strlcpy(message, "unknown C++ exception", sizeof message);
	}
	if (out_of_memory)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory in %s", what)));
	ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("%s failed: %s", what, message)));
}

// Copies a core result into the current memory context without ever raising
// an ERROR (so it is safe inside CallCore); throws std::bad_alloc instead.
inline char *CopyToPalloc(const char *data, size_t len)
{
	// Past MaxAllocSize palloc raises an ERROR even with MCXT_ALLOC_NO_OOM.
	if (len >= MaxAllocSize)
		throw std::bad_alloc();
	char *copy =
		static_cast<char *>(MemoryContextAllocExtended(CurrentMemoryContext, len + 1, MCXT_ALLOC_NO_OOM));
	if (copy == nullptr)
		throw std::bad_alloc();
	memcpy(copy, data, len);
	copy[len] = '\0';
	return copy;
}

}  // namespace exp_assign::pg
