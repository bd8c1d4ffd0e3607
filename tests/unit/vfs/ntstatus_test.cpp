#include "smbsrv/ntstatus.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <system_error>

#include "smbsrv/server.hpp"

namespace smbsrv {
namespace {

TEST(NtStatus, ToStringKnown) {
  EXPECT_EQ(to_string(NtStatus::success), "STATUS_SUCCESS");
  EXPECT_EQ(to_string(NtStatus::access_denied), "STATUS_ACCESS_DENIED");
  EXPECT_EQ(to_string(NtStatus::object_name_not_found), "STATUS_OBJECT_NAME_NOT_FOUND");
  EXPECT_EQ(to_string(NtStatus::file_lock_conflict), "STATUS_FILE_LOCK_CONFLICT");
  EXPECT_EQ(to_string(NtStatus::stopped_on_symlink), "STATUS_STOPPED_ON_SYMLINK");
}

TEST(NtStatus, ToStringEveryTableEntry) {
#define SMBSRV_NTSTATUS(name, value, text) EXPECT_EQ(to_string(NtStatus::name), text);
#include "smbsrv/ntstatus.def"
#undef SMBSRV_NTSTATUS
}

TEST(NtStatus, ToStringUnknown) {
  EXPECT_EQ(to_string(static_cast<NtStatus>(0xC0DE1234u)), "STATUS_0xC0DE1234");
  EXPECT_EQ(to_string(static_cast<NtStatus>(0x00000001u)), "STATUS_0x00000001");
}

TEST(NtStatus, IsError) {
  EXPECT_FALSE(is_error(NtStatus::success));
  EXPECT_FALSE(is_error(NtStatus::buffer_overflow));
  EXPECT_FALSE(is_error(NtStatus::pending));
  EXPECT_TRUE(is_error(NtStatus::access_denied));
}

TEST(NtStatus, FromErrnoTable) {
  struct Row {
    int err;
    NtStatus want;
  };
  const Row rows[] = {
      {0, NtStatus::success},
      {ENOENT, NtStatus::object_name_not_found},
      {EEXIST, NtStatus::object_name_collision},
      {EACCES, NtStatus::access_denied},
      {EPERM, NtStatus::access_denied},
      {ENOTEMPTY, NtStatus::directory_not_empty},
      {ENOTDIR, NtStatus::object_path_not_found},
      {EISDIR, NtStatus::file_is_a_directory},
      {ENOSPC, NtStatus::disk_full},
      {EDQUOT, NtStatus::disk_full},
      {EFBIG, NtStatus::file_too_large},
      {EROFS, NtStatus::media_write_protected},
      {ENAMETOOLONG, NtStatus::object_name_invalid},
      {ELOOP, NtStatus::access_denied},
      {EXDEV, NtStatus::not_same_device},
      {EBUSY, NtStatus::sharing_violation},
      {EMFILE, NtStatus::too_many_opened_files},
      {ENFILE, NtStatus::too_many_opened_files},
      {EINVAL, NtStatus::invalid_parameter},
      {ENOMEM, NtStatus::no_memory},
      {EIO, NtStatus::unsuccessful},
      {EPIPE, NtStatus::unsuccessful},
      {12345, NtStatus::unsuccessful},
  };
  for (const auto& r : rows) EXPECT_EQ(from_errno(r.err), r.want) << "errno " << r.err;
}

TEST(NtStatus, FromErrc) {
  EXPECT_EQ(from_errc({}), NtStatus::success);
  EXPECT_EQ(from_errc(std::make_error_code(std::errc::no_such_file_or_directory)),
            NtStatus::object_name_not_found);
  EXPECT_EQ(from_errc(std::error_code(EACCES, std::system_category())), NtStatus::access_denied);
  EXPECT_EQ(from_errc(std::make_error_code(std::errc::directory_not_empty)),
            NtStatus::directory_not_empty);
  EXPECT_EQ(from_errc(std::make_error_code(std::io_errc::stream)), NtStatus::unsuccessful);
}

TEST(Dialect, ToStringAndParse) {
  EXPECT_EQ(to_string(Dialect::smb2_0_2), "2.0.2");
  EXPECT_EQ(to_string(Dialect::smb2_1), "2.1");
  EXPECT_EQ(to_string(Dialect::smb3_0), "3.0");
  EXPECT_EQ(to_string(Dialect::smb3_0_2), "3.0.2");
  EXPECT_EQ(to_string(Dialect::smb3_1_1), "3.1.1");
  for (auto d : {Dialect::smb2_0_2, Dialect::smb2_1, Dialect::smb3_0, Dialect::smb3_0_2,
                 Dialect::smb3_1_1})
    EXPECT_EQ(parse_dialect(to_string(d)), d);
  EXPECT_EQ(parse_dialect("2.02"), Dialect::smb2_0_2);
  EXPECT_EQ(parse_dialect("2.10"), Dialect::smb2_1);
  EXPECT_EQ(parse_dialect("3.00"), Dialect::smb3_0);
  EXPECT_EQ(parse_dialect("3.02"), Dialect::smb3_0_2);
  EXPECT_EQ(parse_dialect("3.11"), Dialect::smb3_1_1);
  EXPECT_EQ(parse_dialect("SMB2_02"), Dialect::smb2_0_2);
  EXPECT_EQ(parse_dialect("SMB2_10"), Dialect::smb2_1);
  EXPECT_EQ(parse_dialect("SMB3_00"), Dialect::smb3_0);
  EXPECT_EQ(parse_dialect("SMB3_02"), Dialect::smb3_0_2);
  EXPECT_EQ(parse_dialect("SMB3_11"), Dialect::smb3_1_1);
  EXPECT_EQ(parse_dialect(""), std::nullopt);
  EXPECT_EQ(parse_dialect("1.0"), std::nullopt);
  EXPECT_EQ(parse_dialect("3.1"), std::nullopt);
  EXPECT_EQ(parse_dialect("3.1.1 "), std::nullopt);
}

}  // namespace
}  // namespace smbsrv
