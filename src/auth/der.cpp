#include "auth/der.hpp"

namespace smbsrv::auth::der {

bool read(Bytes in, Tlv& out, Bytes& rest) {
  if (in.size() < 2) return false;
  const std::uint8_t tag = in[0];
  if ((tag & 0x1F) == 0x1F) return false;  // high-tag-number form: not used by SPNEGO
  std::size_t pos = 1;
  std::uint64_t len = in[pos++];
  if (len == 0x80) return false;  // indefinite length is not DER
  if (len > 0x80) {
    const std::size_t n = static_cast<std::size_t>(len & 0x7F);
    if (n > 4 || in.size() - pos < n) return false;
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | in[pos++];
  }
  if (len > in.size() - pos) return false;
  const auto l = static_cast<std::size_t>(len);
  out.tag = tag;
  out.value = in.subspan(pos, l);
  out.encoded = in.first(pos + l);
  rest = in.subspan(pos + l);
  return true;
}

bool read_exact(Bytes in, Tlv& out) {
  Bytes rest;
  return read(in, out, rest) && rest.empty();
}

void write(std::vector<std::uint8_t>& out, std::uint8_t tag, std::initializer_list<Bytes> parts) {
  std::size_t len = 0;
  for (Bytes p : parts) len += p.size();
  out.push_back(tag);
  if (len < 0x80) {
    out.push_back(static_cast<std::uint8_t>(len));
  } else {
    std::uint8_t tmp[sizeof(std::size_t)];
    std::size_t n = 0;
    for (std::size_t v = len; v != 0; v >>= 8) tmp[n++] = static_cast<std::uint8_t>(v & 0xFF);
    out.push_back(static_cast<std::uint8_t>(0x80 | n));
    while (n > 0) out.push_back(tmp[--n]);
  }
  for (Bytes p : parts) out.insert(out.end(), p.begin(), p.end());
}

std::vector<std::uint8_t> tlv(std::uint8_t tag, std::initializer_list<Bytes> parts) {
  std::vector<std::uint8_t> out;
  write(out, tag, parts);
  return out;
}

}  // namespace smbsrv::auth::der
