// MurmurHash3_x86_32 with a caller-chosen hash seed: the compatible profiles
// reproduce platforms that hash with seeds other than the default rule's 0.
#pragma once

#include <cstddef>
#include <cstdint>

namespace exp_assign {

// As Python's mmh3.hash(data, seed, signed=False); Murmur3Seeded(d, n, 0)
// equals Murmur3(d, n).
uint32_t Murmur3Seeded(const void *data, size_t len, uint32_t seed) noexcept;

}  // namespace exp_assign
