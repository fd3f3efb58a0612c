// wiresage's live-capture addon: libpcap behind a small N-API surface (node-addon-api).
//
// Design (measured in shared/notes/capture.md):
// - Normal (TPACKET_V3) mode with a short timeout, not immediate mode: the kernel hands over
//   whole blocks, so the JS side gets one callback per block of packets instead of one per
//   packet. Immediate mode stays available (`immediate: true`) for tcpdump's --immediate-mode.
// - The pcap descriptor is non-blocking and watched by a uv_poll handle on the main loop; on
//   readiness we call pcap_dispatch() until it has nothing more and hand JS one Buffer laid
//   out as classic pcap records (16-byte header in host byte order + captured bytes). That is
//   exactly what a pcap file holds after its 24-byte header, so writing a pcap file is one
//   write() and the JS record parser (src/file/pcap.ts) reads live and offline data alike.
// - `netns`: the calling thread setns()'s into the given network namespace (CLONE_NEWNET is
//   per thread), opens and activates the device there, and setns()'s back to the namespace it
//   came from (an fd of it is kept for that). A packet socket stays bound to the namespace it
//   was created in, so the descriptor is then read from the main loop like any other: one
//   process captures in several namespaces at once. Interface listing works the same way.
#include <napi.h>
#include <pcap/pcap.h>
#include <uv.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

namespace {

// Packets are copied from the kernel ring straight into one Buffer that lives as long as the
// handle and is handed to JS again and again (no allocation, no page faults per batch; the
// JS side must not keep it past the callback). A record that does not fit goes to a small
// overflow area and stops the dispatch (pcap_breakloop keeps libpcap's place in the block);
// uv_poll is level-triggered, so the rest comes with the next callback.
constexpr size_t kBatchCapacity = 4 * 1024 * 1024;

std::string AddressText(const struct sockaddr* sa) {
  if (sa == nullptr) return "";
  char text[INET6_ADDRSTRLEN] = {0};
  switch (sa->sa_family) {
    case AF_INET:
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof text);
      return text;
    case AF_INET6:
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, text, sizeof text);
      return text;
    case AF_PACKET: {
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(sa);
      std::string mac;
      char part[4];
      for (int i = 0; i < ll->sll_halen && i < 8; i++) {
        snprintf(part, sizeof part, i ? ":%02x" : "%02x", ll->sll_addr[i]);
        mac += part;
      }
      return mac;
    }
    default:
      return "";
  }
}

const char* FamilyName(const struct sockaddr* sa) {
  switch (sa->sa_family) {
    case AF_INET: return "inet";
    case AF_INET6: return "inet6";
    case AF_PACKET: return "link";
    default: return "other";
  }
}

// Runs `work` with the calling thread in the network namespace at `path` and moves the thread
// back afterwards. Returns "" or why the namespace could not be entered; `code` is NETNS_GONE
// (no such namespace: the process exited, `ip netns del`), NETNS_PERM (EPERM: needs root, i.e.
// CAP_SYS_ADMIN) or NETNS (anything else, e.g. not a namespace file).
template <typename Work>
std::string InNamespace(const std::string& path, std::string& code, Work work) {
  int original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original < 0) {
    code = "NETNS";
    return std::string("cannot open this thread's network namespace (/proc/thread-self/ns/net): ") + strerror(errno);
  }
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int e = errno;
    close(original);
    code = e == ENOENT || e == ESRCH ? "NETNS_GONE" : e == EACCES || e == EPERM ? "NETNS_PERM" : "NETNS";
    return "cannot open network namespace " + path + ": " + strerror(e) +
      (e == ENOENT || e == ESRCH ? " (the namespace is gone: its process exited or it was deleted)" : "");
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    int e = errno;
    close(target);
    close(original);
    code = e == EPERM ? "NETNS_PERM" : "NETNS";
    return "cannot enter network namespace " + path + ": " + strerror(e) +
      (e == EPERM ? " (entering a namespace needs root: CAP_SYS_ADMIN)" : e == EINVAL ? " (not a network namespace file)" : "");
  }
  close(target);
  work();
  if (setns(original, CLONE_NEWNET) != 0) {
    // The main thread would go on in the wrong namespace: nothing sensible is left to do.
    std::string message = std::string("wiresage: cannot return to the original network namespace: ") + strerror(errno);
    Napi::Error::Fatal("InNamespace", message.c_str());
  }
  close(original);
  return "";
}

// pcap_findalldevs() as plain objects: name, description, flags and addresses.
// listInterfaces([netnsPath]): inside that network namespace when given.
Napi::Value ListInterfaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_if_t* all = nullptr;
  int status = 0;
  if (info.Length() > 0 && info[0].IsString()) {
    std::string code;
    std::string failure = InNamespace(info[0].As<Napi::String>().Utf8Value(), code, [&] { status = pcap_findalldevs(&all, errbuf); });
    if (!failure.empty()) {
      Napi::Error e = Napi::Error::New(env, failure);
      e.Set("code", code);
      e.ThrowAsJavaScriptException();
      return env.Undefined();
    }
  } else {
    status = pcap_findalldevs(&all, errbuf);
  }
  if (status != 0) {
    Napi::Error::New(env, std::string("pcap_findalldevs: ") + errbuf).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array list = Napi::Array::New(env);
  uint32_t n = 0;
  for (pcap_if_t* d = all; d != nullptr; d = d->next) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", d->name);
    if (d->description) o.Set("description", d->description);
    o.Set("loopback", Napi::Boolean::New(env, d->flags & PCAP_IF_LOOPBACK));
    o.Set("up", Napi::Boolean::New(env, d->flags & PCAP_IF_UP));
    o.Set("running", Napi::Boolean::New(env, d->flags & PCAP_IF_RUNNING));
    o.Set("wireless", Napi::Boolean::New(env, d->flags & PCAP_IF_WIRELESS));
    const char* status = "unknown";
    switch (d->flags & PCAP_IF_CONNECTION_STATUS) {
      case PCAP_IF_CONNECTION_STATUS_CONNECTED: status = "connected"; break;
      case PCAP_IF_CONNECTION_STATUS_DISCONNECTED: status = "disconnected"; break;
      case PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE: status = "not applicable"; break;
    }
    o.Set("connection", status);
    Napi::Array addresses = Napi::Array::New(env);
    uint32_t k = 0;
    for (pcap_addr_t* a = d->addresses; a != nullptr; a = a->next) {
      if (a->addr == nullptr) continue;
      Napi::Object ao = Napi::Object::New(env);
      ao.Set("family", FamilyName(a->addr));
      ao.Set("address", AddressText(a->addr));
      if (a->netmask) ao.Set("netmask", AddressText(a->netmask));
      if (a->broadaddr) ao.Set("broadcast", AddressText(a->broadaddr));
      if (a->dstaddr) ao.Set("destination", AddressText(a->dstaddr));
      addresses.Set(k++, ao);
    }
    o.Set("addresses", addresses);
    list.Set(n++, o);
  }
  pcap_freealldevs(all);
  return list;
}

// compileFilter(linkType, snapLen, expression) → null when it compiles, else libpcap's message.
Napi::Value CompileFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int linkType = info[0].As<Napi::Number>().Int32Value();
  int snapLen = info[1].As<Napi::Number>().Int32Value();
  std::string expression = info[2].As<Napi::String>().Utf8Value();
  pcap_t* dead = pcap_open_dead(linkType, snapLen);
  if (dead == nullptr) return Napi::String::New(env, "pcap_open_dead failed");
  struct bpf_program program;
  Napi::Value result = env.Null();
  if (pcap_compile(dead, &program, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    result = Napi::String::New(env, pcap_geterr(dead));
  } else {
    pcap_freecode(&program);
  }
  pcap_close(dead);
  return result;
}

// pcapToEpb(src, start, end, dst, dstOffset, interfaceId, nanosecond) → end offset in dst.
// Converts host-order pcap records src[start, end) into pcapng Enhanced Packet Blocks (host
// byte order, timestamps in the interface's units: ns when nanosecond, else µs). dst must
// have room for (end - start) + 20 bytes per record. The JS version in src/capture/files.ts
// does the same when the addon is absent; this one runs at memcpy speed.
Napi::Value PcapToEpb(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto src = info[0].As<Napi::TypedArrayOf<uint8_t>>();
  size_t start = info[1].As<Napi::Number>().Int64Value();
  size_t end = info[2].As<Napi::Number>().Int64Value();
  auto dst = info[3].As<Napi::TypedArrayOf<uint8_t>>();
  size_t o = info[4].As<Napi::Number>().Int64Value();
  uint32_t interfaceId = info[5].As<Napi::Number>().Uint32Value();
  bool nanosecond = info[6].As<Napi::Boolean>().Value();
  const uint8_t* in = src.Data();
  uint8_t* out = dst.Data();
  size_t inLength = src.ElementLength(), outLength = dst.ElementLength();
  if (end > inLength) end = inLength;
  size_t p = start;
  while (p + 16 <= end) {
    uint32_t h[4];
    memcpy(h, in + p, 16);
    uint32_t capLen = h[2];
    if (p + 16 + capLen > end) break;
    uint32_t padded = (capLen + 3) & ~3u;
    uint32_t length = 28 + padded + 4;
    if (o + length > outLength) {
      Napi::RangeError::New(env, "pcapToEpb: destination too small").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    uint64_t ticks = static_cast<uint64_t>(h[0]) * (nanosecond ? 1000000000ull : 1000000ull) + h[1];
    uint32_t block[7] = {6, length, interfaceId, static_cast<uint32_t>(ticks >> 32), static_cast<uint32_t>(ticks), capLen, h[3]};
    memcpy(out + o, block, 28);
    memcpy(out + o + 28, in + p + 16, capLen);
    memset(out + o + 28 + capLen, 0, padded - capLen);
    memcpy(out + o + 28 + padded, &length, 4);
    o += length;
    p += 16 + capLen;
  }
  return Napi::Number::New(env, static_cast<double>(o));
}

Napi::Value LibVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), pcap_lib_version());
}

struct OpenOptions {
  std::string device;
  int snapLen = 262144;
  bool promisc = true;
  int bufferSize = 0;  // bytes; 0 = libpcap default (2 MiB)
  int timeoutMs = 100;
  bool immediate = false;
  bool nanosecond = true;
  std::string direction;  // "", "in", "out", "inout"
  int linkType = -1;
  std::string filter;
  std::string netns;
};

struct OpenResult {
  pcap_t* pcap = nullptr;
  std::string error;
  std::string code;  // NO_SUCH_DEVICE, PERM_DENIED, ...
  std::string warning;
  std::string stage;
};

const char* ErrorCode(int status) {
  switch (status) {
    case PCAP_ERROR_NO_SUCH_DEVICE: return "NO_SUCH_DEVICE";
    case PCAP_ERROR_PERM_DENIED: return "PERM_DENIED";
    case PCAP_ERROR_PROMISC_PERM_DENIED: return "PROMISC_PERM_DENIED";
    case PCAP_ERROR_IFACE_NOT_UP: return "IFACE_NOT_UP";
    case PCAP_ERROR_RFMON_NOTSUP: return "RFMON_NOTSUP";
    default: return "PCAP_ERROR";
  }
}

void Fail(OpenResult& r, const std::string& stage, const std::string& code, const std::string& message) {
  r.stage = stage;
  r.code = code;
  r.error = message;
  if (r.pcap) pcap_close(r.pcap);
  r.pcap = nullptr;
}

// Everything from pcap_create to pcap_setfilter; runs on the calling thread (which may have
// been moved into another network namespace first).
void OpenDevice(const OpenOptions& o, OpenResult& r) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  r.pcap = pcap_create(o.device.c_str(), errbuf);
  if (r.pcap == nullptr) return Fail(r, "create", "PCAP_ERROR", errbuf);
  pcap_t* p = r.pcap;
  pcap_set_snaplen(p, o.snapLen);
  pcap_set_promisc(p, o.promisc ? 1 : 0);
  pcap_set_timeout(p, o.timeoutMs);
  if (o.bufferSize > 0) pcap_set_buffer_size(p, o.bufferSize);
  if (o.immediate) pcap_set_immediate_mode(p, 1);
  if (o.nanosecond) pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);  // falls back to µs
  int status = pcap_activate(p);
  if (status < 0) {
    std::string message = pcap_geterr(p);
    if (message.empty()) message = pcap_statustostr(status);
    return Fail(r, "activate", ErrorCode(status), message);
  }
  if (status > 0) {
    std::string detail = pcap_geterr(p);
    r.warning = std::string(pcap_statustostr(status)) + (detail.empty() ? "" : ": " + detail);
  }
  if (o.linkType >= 0) {
    if (pcap_set_datalink(p, o.linkType) != 0) return Fail(r, "datalink", "LINKTYPE", pcap_geterr(p));
  } else if (o.device == "any") {
    // tcpdump 4.99 records `any` as LINUX_SLL2 (interface index and name); plain libpcap
    // would give LINUX_SLL.
    pcap_set_datalink(p, DLT_LINUX_SLL2);
  }
  if (!o.direction.empty()) {
    pcap_direction_t d = o.direction == "in" ? PCAP_D_IN : o.direction == "out" ? PCAP_D_OUT : PCAP_D_INOUT;
    if (pcap_setdirection(p, d) != 0) return Fail(r, "direction", "DIRECTION", pcap_geterr(p));
  }
  if (!o.filter.empty()) {
    bpf_u_int32 net = 0, mask = PCAP_NETMASK_UNKNOWN;
    char lookupErr[PCAP_ERRBUF_SIZE];
    if (pcap_lookupnet(o.device.c_str(), &net, &mask, lookupErr) != 0) mask = PCAP_NETMASK_UNKNOWN;
    struct bpf_program program;
    if (pcap_compile(p, &program, o.filter.c_str(), 1, mask) != 0) return Fail(r, "filter", "FILTER", pcap_geterr(p));
    int set = pcap_setfilter(p, &program);
    pcap_freecode(&program);
    if (set != 0) return Fail(r, "filter", "FILTER", pcap_geterr(p));
  }
  if (pcap_setnonblock(p, 1, errbuf) != 0) return Fail(r, "nonblock", "PCAP_ERROR", errbuf);
}

class Handle : public Napi::ObjectWrap<Handle> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Handle", {
      InstanceMethod("start", &Handle::Start),
      InstanceMethod("stop", &Handle::Stop),
      InstanceMethod("drain", &Handle::Drain),
      InstanceMethod("stats", &Handle::Stats),
      InstanceMethod("close", &Handle::Close),
      InstanceAccessor("linkType", &Handle::LinkType, nullptr),
      InstanceAccessor("snapLen", &Handle::SnapLen, nullptr),
      InstanceAccessor("nanosecond", &Handle::Nanosecond, nullptr),
      InstanceAccessor("warning", &Handle::Warning, nullptr),
      InstanceAccessor("fd", &Handle::Fd, nullptr),
    });
  }

  explicit Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Handle>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) {
      Napi::TypeError::New(env, "Handle(options) needs an options object").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object opts = info[0].As<Napi::Object>();
    OpenOptions o;
    o.device = opts.Get("device").ToString().Utf8Value();
    auto num = [&](const char* key, int& out) {
      Napi::Value v = opts.Get(key);
      if (v.IsNumber()) out = v.As<Napi::Number>().Int32Value();
    };
    auto flag = [&](const char* key, bool& out) {
      Napi::Value v = opts.Get(key);
      if (v.IsBoolean()) out = v.As<Napi::Boolean>().Value();
    };
    auto str = [&](const char* key, std::string& out) {
      Napi::Value v = opts.Get(key);
      if (v.IsString()) out = v.As<Napi::String>().Utf8Value();
    };
    num("snapLen", o.snapLen);
    flag("promisc", o.promisc);
    num("bufferSize", o.bufferSize);
    num("timeoutMs", o.timeoutMs);
    flag("immediate", o.immediate);
    flag("nanosecond", o.nanosecond);
    str("direction", o.direction);
    num("linkType", o.linkType);
    str("filter", o.filter);
    str("netns", o.netns);

    OpenResult r;
    if (o.netns.empty()) {
      OpenDevice(o, r);
    } else {
      std::string code;
      std::string failure = InNamespace(o.netns, code, [&] { OpenDevice(o, r); });
      if (!failure.empty()) Fail(r, "netns", code, failure);
    }
    if (r.pcap == nullptr) {
      Napi::Error e = Napi::Error::New(env, r.error);
      e.Set("code", r.code);
      e.Set("stage", r.stage);
      e.ThrowAsJavaScriptException();
      return;
    }
    pcap_ = r.pcap;
    device_ = o.device;
    warning_ = r.warning;
    nanosecond_ = pcap_get_tstamp_precision(pcap_) == PCAP_TSTAMP_PRECISION_NANO;
    Napi::Buffer<uint8_t> buffer = Napi::Buffer<uint8_t>::New(env, kBatchCapacity);
    data_ = buffer.Data();
    buffer_ = Napi::Persistent(buffer);
  }

  ~Handle() override { Release(); }

 private:
  pcap_t* pcap_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  std::string warning_;
  std::string device_;
  bool nanosecond_ = false;
  Napi::Reference<Napi::Buffer<uint8_t>> buffer_;
  uint8_t* data_ = nullptr;
  size_t used_ = 0;
  std::vector<uint8_t> overflow_;
  std::string error_;
  double wakeups_ = 0, emptyWakeups_ = 0;
  Napi::FunctionReference onBatch_;
  Napi::FunctionReference onError_;

  static void OnPacket(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
    auto* self = reinterpret_cast<Handle*>(user);
    uint32_t header[4] = {
      static_cast<uint32_t>(h->ts.tv_sec), static_cast<uint32_t>(h->ts.tv_usec), h->caplen, h->len,
    };
    size_t need = 16 + h->caplen;
    uint8_t* at;
    if (self->overflow_.empty() && self->used_ + need <= kBatchCapacity) {
      at = self->data_ + self->used_;
      self->used_ += need;
    } else {
      size_t old = self->overflow_.size();
      self->overflow_.resize(old + need);
      at = self->overflow_.data() + old;
      pcap_breakloop(self->pcap_);
    }
    memcpy(at, header, 16);
    memcpy(at + 16, bytes, h->caplen);
  }

  // pcap_dispatch until nothing is left or the buffer is full; returns false on a capture error.
  bool Fill() {
    if (pcap_ == nullptr) return true;
    while (overflow_.empty()) {
      int n = pcap_dispatch(pcap_, -1, &Handle::OnPacket, reinterpret_cast<u_char*>(this));
      if (n == 0 || n == PCAP_ERROR_BREAK) break;
      if (n < 0) {
        error_ = pcap_geterr(pcap_);
        return false;
      }
    }
    return true;
  }

  // Why the socket reported an error when no error code is left: is the interface down or gone?
  std::string InterfaceState(const char* pollError) {
    if (device_ != "any") {
      struct ifreq request;
      memset(&request, 0, sizeof request);
      strncpy(request.ifr_name, device_.c_str(), IFNAMSIZ - 1);
      if (ioctl(pcap_get_selectable_fd(pcap_), SIOCGIFFLAGS, &request) != 0) {
        if (errno == ENODEV || errno == ENXIO) return "The interface disappeared";
      } else if (!(request.ifr_flags & IFF_UP)) {
        return "The interface went down";
      }
    }
    return std::string("poll: ") + pollError;
  }

  bool HasPackets() const { return used_ > 0 || !overflow_.empty(); }

  // Calls onBatch(buffer, length) for the shared buffer, then for the overflow (a copy).
  void Deliver(Napi::Env env, const Napi::FunctionReference& callback) {
    if (used_ > 0) {
      size_t length = used_;
      used_ = 0;
      callback.MakeCallback(env.Global(), {buffer_.Value(), Napi::Number::New(env, static_cast<double>(length))});
    }
    if (!overflow_.empty()) {
      Napi::Buffer<uint8_t> spill = Napi::Buffer<uint8_t>::Copy(env, overflow_.data(), overflow_.size());
      size_t length = overflow_.size();
      overflow_.clear();
      callback.MakeCallback(env.Global(), {spill, Napi::Number::New(env, static_cast<double>(length))});
    }
  }

  static void OnReadable(uv_poll_t* poll, int status, int events) {
    auto* self = static_cast<Handle*>(poll->data);
    if (self == nullptr || self->pcap_ == nullptr) return;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    self->wakeups_++;
    bool ok = self->Fill();
    if (!self->HasPackets()) self->emptyWakeups_++;
    if (self->HasPackets() && !self->onBatch_.IsEmpty()) self->Deliver(env, self->onBatch_);
    if (!ok || (status < 0 && self->pcap_ != nullptr)) {
      // libuv reports POLLERR as UV_EBADF and stops the handle; the socket's pending error
      // says what happened (libpcap's own words for the usual ones).
      std::string message = self->error_;
      if (ok) {
        int err = 0;
        socklen_t length = sizeof err;
        getsockopt(pcap_get_selectable_fd(self->pcap_), SOL_SOCKET, SO_ERROR, &err, &length);
        message = err == ENETDOWN ? "The interface went down"
          : err == ENODEV || err == ENXIO ? "The interface disappeared"
          : err != 0 ? std::string("capture socket error: ") + strerror(err)
          : self->InterfaceState(uv_strerror(status));
      }
      self->StopPolling();
      if (!self->onError_.IsEmpty()) self->onError_.MakeCallback(env.Global(), {Napi::String::New(env, message)});
    }
  }

  // start(onBatch(buffer, length), onError(message)): records are buffer[0, length).
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (pcap_ == nullptr) {
      Napi::Error::New(env, "capture handle is closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (poll_ != nullptr) return env.Undefined();
    onBatch_ = Napi::Persistent(info[0].As<Napi::Function>());
    onError_ = Napi::Persistent(info[1].As<Napi::Function>());
    int fd = pcap_get_selectable_fd(pcap_);
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    poll_->data = this;
    if (uv_poll_init(loop, poll_, fd) != 0 || uv_poll_start(poll_, UV_READABLE, &Handle::OnReadable) != 0) {
      delete poll_;
      poll_ = nullptr;
      Napi::Error::New(env, "cannot watch the capture descriptor").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Ref();  // the JS object stays alive while the loop watches it
    return env.Undefined();
  }

  void StopPolling() {
    if (poll_ == nullptr) return;
    uv_poll_stop(poll_);
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
    Unref();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopPolling();
    return info.Env().Undefined();
  }

  // drain(onBatch): synchronously delivers what the kernel has released so far. Throws on error.
  Napi::Value Drain(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::FunctionReference callback = Napi::Persistent(info[0].As<Napi::Function>());
    for (int round = 0; round < 64; round++) {
      bool ok = Fill();
      bool more = HasPackets();
      if (more) Deliver(env, callback);
      if (!ok) {
        Napi::Error::New(env, error_).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      if (!more) break;
    }
    return env.Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    struct pcap_stat s;
    if (pcap_ == nullptr || pcap_stats(pcap_, &s) != 0) return env.Null();
    Napi::Object o = Napi::Object::New(env);
    o.Set("received", Napi::Number::New(env, s.ps_recv));
    o.Set("dropped", Napi::Number::New(env, s.ps_drop));
    o.Set("ifDropped", Napi::Number::New(env, s.ps_ifdrop));
    o.Set("wakeups", Napi::Number::New(env, wakeups_));
    o.Set("emptyWakeups", Napi::Number::New(env, emptyWakeups_));
    return o;
  }

  void Release() {
    StopPolling();
    if (pcap_ != nullptr) {
      pcap_close(pcap_);
      pcap_ = nullptr;
    }
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    onBatch_.Reset();
    onError_.Reset();
    return info.Env().Undefined();
  }

  Napi::Value LinkType(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), pcap_ ? pcap_datalink(pcap_) : -1);
  }
  Napi::Value SnapLen(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), pcap_ ? pcap_snapshot(pcap_) : 0);
  }
  Napi::Value Nanosecond(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), nanosecond_); }
  Napi::Value Warning(const Napi::CallbackInfo& info) {
    return warning_.empty() ? info.Env().Null() : Napi::String::New(info.Env(), warning_);
  }
  Napi::Value Fd(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), pcap_ ? pcap_get_selectable_fd(pcap_) : -1);
  }
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Handle", Handle::Init(env));
  exports.Set("listInterfaces", Napi::Function::New(env, ListInterfaces));
  exports.Set("compileFilter", Napi::Function::New(env, CompileFilter));
  exports.Set("libVersion", Napi::Function::New(env, LibVersion));
  exports.Set("pcapToEpb", Napi::Function::New(env, PcapToEpb));
  return exports;
}

}  // namespace

NODE_API_MODULE(wiresage_capture, Init)
