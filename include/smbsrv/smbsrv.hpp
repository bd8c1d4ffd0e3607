// File: smbsrv/smbsrv.hpp — the umbrella include.
#pragma once

#include "smbsrv/credentials.hpp"
#include "smbsrv/local_vfs.hpp"
#include "smbsrv/memory_vfs.hpp"
#include "smbsrv/ntstatus.hpp"
#include "smbsrv/path.hpp"
#include "smbsrv/pipe.hpp"
#include "smbsrv/result.hpp"
#include "smbsrv/server.hpp"
#include "smbsrv/vfs.hpp"
