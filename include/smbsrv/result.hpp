// File: smbsrv/result.hpp
// Result<T>: a value or an NtStatus (C++20 has no std::expected).
//
//   Result<int> parse();  if (auto r = parse(); r) use(*r); else return r.status();
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "smbsrv/ntstatus.hpp"

namespace smbsrv {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(NtStatus status) : v_(status) { assert(status != NtStatus::success); }  // NOLINT
  explicit operator bool() const noexcept { return v_.index() == 0; }
  bool ok() const noexcept { return v_.index() == 0; }
  NtStatus status() const noexcept { return ok() ? NtStatus::success : std::get<1>(v_); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, NtStatus> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(NtStatus status) : status_(status) {}  // NOLINT(google-explicit-constructor)
  explicit operator bool() const noexcept { return status_ == NtStatus::success; }
  bool ok() const noexcept { return status_ == NtStatus::success; }
  NtStatus status() const noexcept { return status_; }

 private:
  NtStatus status_ = NtStatus::success;
};

/// Early return of the status from a failed Result expression.
#define SMBSRV_TRY(expr)                              \
  do {                                                \
    if (auto smbsrv_try_r_ = (expr); !smbsrv_try_r_)  \
      return smbsrv_try_r_.status();                  \
  } while (0)

}  // namespace smbsrv
