// Extended attributes on the wire (MS-FSCC 2.4.15, 2.4.15.1): the FILE_FULL_EA_INFORMATION list
// that QUERY_INFO returns and SET_INFO and the ExtA create context (MS-SMB2 2.2.13.2.1) carry, and
// the FILE_GET_EA_INFORMATION list a QUERY_INFO may name the EAs it wants with.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smbsrv/result.hpp"
#include "smbsrv/vfs.hpp"
#include "util/byte_reader.hpp"

namespace smbsrv::codec {

/// FILE_NEED_EA (MS-FSCC 2.4.15 Flags): the only flag an entry may carry.
inline constexpr std::uint8_t kFileNeedEa = 0x80;
/// The fixed part of a FILE_FULL_EA_INFORMATION entry, before EaName.
inline constexpr std::size_t kFullEaFixedSize = 8;
/// The fixed part of a FILE_GET_EA_INFORMATION entry, before EaName.
inline constexpr std::size_t kGetEaFixedSize = 5;

/// An EA name as MS-FSCC 2.4.15 allows it: 1..255 ASCII characters, none a control character
/// (0x00-0x1F, 0x7F) or one of " * + , / : ; < = > ? [ \ ] |.
bool valid_ea_name(std::string_view name);
/// ASCII case-insensitive equality: EA names match this way (Windows's EA names are
/// case-insensitive).
bool ea_name_equal(std::string_view a, std::string_view b);

/// Decodes a FILE_FULL_EA_INFORMATION list (SET_INFO FileFullEaInformation, the ExtA context).
/// The structure is checked first, by subtraction: each entry inside the buffer, EaName followed
/// by its NUL, NextEntryOffset 4-byte aligned and not inside the entry, an empty buffer →
/// ea_list_inconsistent. Then each entry (MS-FSA 2.1.5.15.5): a name that is not valid_ea_name()
/// or Flags other than 0 and FILE_NEED_EA → invalid_ea_name. The flags are not kept. An entry
/// with an empty value means "remove this EA".
Result<std::vector<ExtendedAttribute>> decode_full_ea_list(Bytes b);
/// Decodes a FILE_GET_EA_INFORMATION list (a QUERY_INFO's InputBuffer), the same way: structure →
/// ea_list_inconsistent, a bad name → invalid_ea_name.
Result<std::vector<std::string>> decode_get_ea_list(Bytes b);

/// The bytes one entry takes in a FILE_FULL_EA_INFORMATION list, before the padding that aligns
/// the next entry.
std::size_t full_ea_entry_size(const ExtendedAttribute& ea);
/// The size of the FILE_FULL_EA_INFORMATION list holding `eas` (entries 4-byte aligned, the last
/// unpadded): FileEaInformation's EaSize (MS-FSCC 2.4.13), 0 for none.
std::uint32_t full_ea_list_size(std::span<const ExtendedAttribute> eas);
/// The same from the lengths alone: a running list size `total` grown by one entry of a name and
/// a value of these lengths (for backends that know the sizes without reading the values).
std::size_t add_full_ea_entry(std::size_t total, std::size_t name_length, std::size_t value_length);
/// Appends one entry (Flags 0) to a list being built in `out` (which starts at the list's first
/// byte): pads `out` to 4 bytes and patches the previous entry's NextEntryOffset when `out` is not
/// empty. `prev` is the previous entry's offset, updated to this one's.
void append_full_ea(std::vector<std::uint8_t>& out, std::size_t& prev, const ExtendedAttribute& ea);
/// A whole list (FILE_FULL_EA_INFORMATION entries, or FILE_GET_EA_INFORMATION with
/// encode_get_ea_list): for tests, fuzz seeds and the ExtA context a client would send.
std::vector<std::uint8_t> encode_full_ea_list(std::span<const ExtendedAttribute> eas);
std::vector<std::uint8_t> encode_get_ea_list(std::span<const std::string> names);

}  // namespace smbsrv::codec
