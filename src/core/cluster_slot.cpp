#include "core/cluster_slot.hpp"

#include "core/core_only.hpp"

namespace exp_assign {

namespace {

// CRC16-CCITT as Redis computes it (polynomial 0x1021, initial 0, no
// reflection), bit by bit: a key is hashed once per command.
uint16_t Crc16(std::string_view bytes) noexcept
{
	uint16_t crc = 0;
	for (unsigned char byte : bytes) {
		crc ^= static_cast<uint16_t>(byte << 8);
		for (int bit = 0; bit < 8; bit++)
			crc = (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
									  : static_cast<uint16_t>(crc << 1);
	}
	return crc;
}

}  // namespace

uint16_t ClusterSlot(std::string_view key) noexcept
{
	size_t open = key.find('{');
	if (open != std::string_view::npos) {
		size_t close = key.find('}', open + 1);
		if (close != std::string_view::npos && close != open + 1)
			key = key.substr(open + 1, close - open - 1);
	}
	return Crc16(key) & (kClusterSlots - 1);
}

}  // namespace exp_assign
