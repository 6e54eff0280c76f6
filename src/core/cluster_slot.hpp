// Redis Cluster's hash slot of a key: CRC16 (XMODEM) of its hash tag, the
// bytes between the first '{' and the first '}' after it when there are
// any, else of the whole key, modulo 16384. The push worker sends each
// command to the node that serves its key's slot.
#pragma once

#include <cstdint>
#include <string_view>

namespace exp_assign {

constexpr uint16_t kClusterSlots = 16384;

uint16_t ClusterSlot(std::string_view key) noexcept;

}  // namespace exp_assign
