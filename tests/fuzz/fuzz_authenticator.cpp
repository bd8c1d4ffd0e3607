// Feeds 1-3 tokens ([u16 length][bytes] each) into a fresh Authenticator with a deterministic
// challenge and time, as SESSION_SETUP would.
#include "fuzz/fuzz_support.hpp"

using namespace smbsrv;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet_logs();
  auth::Authenticator a(fuzz::auth_config());
  fuzz::Chunks chunks(data, size);
  fuzz::Vec token;
  for (int i = 0; i < 3 && chunks.next(token); ++i) {
    auto step = a.step(token);
    if (step.status == NtStatus::success) {
      (void)a.session_key();
      (void)a.user();
      (void)a.domain();
      break;
    }
    if (step.status != NtStatus::more_processing_required) break;
  }
  return 0;
}
