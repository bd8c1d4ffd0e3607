// Named-pipe structures (MS-FSCC): FSCTL_PIPE_WAIT's request (2.3.49), FSCTL_PIPE_PEEK's reply
// (2.3.46), FilePipeInformation (2.4.29) and FilePipeLocalInformation (2.4.30).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "smbsrv/result.hpp"
#include "util/byte_reader.hpp"
#include "util/byte_writer.hpp"

namespace smbsrv::codec {

inline constexpr std::uint32_t kFsctlPipePeek = 0x0011400C;
inline constexpr std::uint32_t kFsctlPipeWait = 0x00110018;
inline constexpr std::uint8_t kFilePipeInformation = 23, kFilePipeLocalInformation = 24;
inline constexpr std::uint32_t kFilePipeConnectedState = 3;  // NamedPipeState
inline constexpr std::uint32_t kFilePipeMessageMode = 1;     // ReadMode / NamedPipeType
inline constexpr std::uint32_t kFileDeviceNamedPipe = 0x00000011;  // FileFsDeviceInformation.DeviceType

/// FSCTL_PIPE_WAIT_REQUEST: Timeout (8), NameLength (4), TimeoutSpecified (1), Padding (1), Name.
struct PipeWaitRequest {
  std::int64_t timeout = 0;
  bool timeout_specified = false;
  std::string name;  // UTF-8
};
/// Short input, a name that overruns the input, an odd NameLength or bad UTF-16 → invalid_parameter.
Result<PipeWaitRequest> decode_pipe_wait_request(Bytes input);

/// FILE_PIPE_PEEK_BUFFER: NamedPipeState, ReadDataAvailable, NumberOfMessages, MessageLength, Data.
inline constexpr std::size_t kPipePeekFixedSize = 16;
void encode_pipe_peek(ByteWriter& w, std::uint32_t available, std::uint32_t messages,
                      std::uint32_t message_length, Bytes data);

/// FilePipeInformation (8 bytes): ReadMode, CompletionMode.
struct PipeInformation {
  std::uint32_t read_mode = kFilePipeMessageMode;
  std::uint32_t completion_mode = 0;  // FILE_PIPE_QUEUE_OPERATION
};
std::vector<std::uint8_t> encode_pipe_information(const PipeInformation& p);
/// Exactly 8 bytes, each field 0 or 1 → the values; else invalid_parameter.
Result<PipeInformation> decode_pipe_information(Bytes b);

/// FilePipeLocalInformation (40 bytes), as the client end of a message-mode, full-duplex pipe.
std::vector<std::uint8_t> encode_pipe_local_information(std::uint32_t read_data_available,
                                                        std::uint32_t quota);

}  // namespace smbsrv::codec
