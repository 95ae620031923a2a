#include "model/torch_pickle.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "model/model_error.h"

namespace attnviz::model {
namespace {

// The values a weights-only read can make. Containers hold indices into the arena, so a shared
// or cyclic structure is harmless and nothing is freed recursively.
enum class Kind : std::uint8_t { None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Set, Global, Storage, Tensor };

const char* kindName(Kind k) {
  switch (k) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Set: return "set";
    case Kind::Global: return "global";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

// The callables a Global may stand for.
enum class Callable : std::int64_t { OrderedDict, RebuildTensor, RebuildParameter, RebuildParameterWithState, Device, Size, Storage, Set, Bytes };

struct Value {
  Kind kind = Kind::None;
  std::uint8_t depth = 1;
  std::int64_t i = 0;               // Int, Bool; Global: its Callable; Storage / Tensor: index of its record
  std::string s;                    // Str, Bytes; Global: "module.name"
  std::vector<std::uint32_t> items; // Tuple, List, Set; Dict: key, value, key, value, ...
};

struct StorageRecord {
  std::string type, key;
  std::uint64_t numel = 0;
};

struct TensorRecord {
  std::uint32_t storage = 0;  // index into storages
  std::int64_t offset = 0;
  std::vector<std::int64_t> shape, stride;
};

struct StorageType {
  const char* name;
  int bytes;
};
constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", 4}, {"HalfStorage", 2},  {"BFloat16Storage", 2}, {"DoubleStorage", 8},      {"LongStorage", 8},
    {"IntStorage", 4},   {"ShortStorage", 2}, {"CharStorage", 1},     {"ByteStorage", 1},        {"BoolStorage", 1},
    {"ComplexFloatStorage", 8}, {"ComplexDoubleStorage", 16},
};

const char* opcodeName(std::uint8_t op) {
  switch (op) {
    case 'i': return "INST";
    case 'o': return "OBJ";
    case 0x81: return "NEWOBJ";
    case 0x92: return "NEWOBJ_EX";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 'P': return "PERSID";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    case 'I': return "INT";
    case 'L': return "LONG";
    case 'S': return "STRING";
    case 'V': return "UNICODE";
    case 'F': return "FLOAT";
    case 'g': return "GET";
    case 'p': return "PUT";
    default: return nullptr;
  }
}

class Unpickler {
 public:
  Unpickler(const std::uint8_t* bytes, std::size_t size, const std::string& file) : p_(bytes), n_(size), file_(file) {}

  std::vector<PickledTensor> run() {
    for (;;) {
      const std::size_t at = pos_;
      const std::uint8_t op = byte();
      if (op == '.') break;
      step(op, at);
    }
    if (stack_.empty()) fail("STOP with an empty stack");
    return stateDict(stack_.back());
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw ModelError(file_ + ": " + what); }

  void need(std::size_t k) const {
    if (k > n_ - pos_) fail("truncated: an opcode at byte " + std::to_string(pos_) + " needs " + std::to_string(k) + " more bytes");
  }
  std::uint8_t byte() {
    need(1);
    return p_[pos_++];
  }
  std::uint64_t littleEndian(int k) {
    need(std::size_t(k));
    std::uint64_t v = 0;
    for (int b = k - 1; b >= 0; --b) v = (v << 8) | p_[pos_ + std::size_t(b)];
    pos_ += std::size_t(k);
    return v;
  }
  std::string take(std::uint64_t k) {
    if (k > n_ - pos_) fail("truncated: a string of " + std::to_string(k) + " bytes at byte " + std::to_string(pos_) + " runs past the end");
    std::string s(reinterpret_cast<const char*>(p_ + pos_), std::size_t(k));
    pos_ += std::size_t(k);
    return s;
  }
  std::string line() {
    const std::uint8_t* end = static_cast<const std::uint8_t*>(std::memchr(p_ + pos_, '\n', n_ - pos_));
    if (!end) fail("truncated: a GLOBAL name has no end of line");
    std::string s(reinterpret_cast<const char*>(p_ + pos_), std::size_t(end - (p_ + pos_)));
    pos_ = std::size_t(end - p_) + 1;
    return s;
  }

  std::uint32_t make(Value v) {
    if (values_.size() >= kMaxPickleValues) fail("more than " + std::to_string(kMaxPickleValues) + " values: not a state dict");
    values_.push_back(std::move(v));
    return std::uint32_t(values_.size() - 1);
  }
  void push(std::uint32_t v) {
    if (stack_.size() >= kMaxPickleValues) fail("stack deeper than " + std::to_string(kMaxPickleValues) + " entries");
    stack_.push_back(v);
  }
  std::uint32_t pop() {
    if (stack_.size() <= markBase()) fail("stack underflow at byte " + std::to_string(pos_));
    const std::uint32_t v = stack_.back();
    stack_.pop_back();
    return v;
  }
  std::uint32_t top() const {
    if (stack_.size() <= markBase()) fail("stack underflow at byte " + std::to_string(pos_));
    return stack_.back();
  }
  std::size_t markBase() const { return marks_.empty() ? 0 : marks_.back(); }
  // The items above the topmost mark, which is removed.
  std::vector<std::uint32_t> popMark() {
    if (marks_.empty()) fail("no MARK before byte " + std::to_string(pos_));
    const std::size_t base = marks_.back();
    marks_.pop_back();
    std::vector<std::uint32_t> items(stack_.begin() + std::ptrdiff_t(base), stack_.end());
    stack_.resize(base);
    return items;
  }
  void deepen(Value& container, std::uint32_t child) {
    const int d = values_[child].depth + 1;
    if (d > kMaxPickleDepth) fail("values nested deeper than " + std::to_string(kMaxPickleDepth) + " levels");
    container.depth = std::max<std::uint8_t>(container.depth, std::uint8_t(d));
  }
  std::uint32_t container(Kind kind, std::vector<std::uint32_t> items) {
    Value v;
    v.kind = kind;
    for (std::uint32_t c : items) deepen(v, c);
    v.items = std::move(items);
    return make(std::move(v));
  }
  void addItems(std::uint32_t target, const std::vector<std::uint32_t>& items, Kind want, const char* op) {
    if (values_[target].kind != want)
      fail(std::string(op) + " on a " + kindName(values_[target].kind) + ", not a " + kindName(want));
    if (want == Kind::Dict && items.size() % 2) fail(std::string(op) + " with an odd number of items");
    Value& v = values_[target];
    for (std::uint32_t c : items) {
      deepen(v, c);
      v.items.push_back(c);
    }
  }
  void memoPut(std::uint64_t key) {
    if (memo_.size() >= kMaxPickleValues && !memo_.count(key)) fail("memo larger than " + std::to_string(kMaxPickleValues) + " entries");
    memo_[key] = top();
  }
  void memoGet(std::uint64_t key) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) fail("memo entry " + std::to_string(key) + " is read before it is written");
    push(it->second);
  }
  std::uint32_t integer(std::int64_t i, Kind kind = Kind::Int) {
    Value v;
    v.kind = kind;
    v.i = i;
    return make(std::move(v));
  }
  std::uint32_t text(std::string s, Kind kind = Kind::Str) {
    Value v;
    v.kind = kind;
    v.s = std::move(s);
    return make(std::move(v));
  }
  std::int64_t longInteger(std::uint64_t k) {
    if (k > 8) fail("an integer of " + std::to_string(k) + " bytes, wider than 64 bits");
    std::uint64_t v = littleEndian(int(k));
    if (k > 0 && k < 8 && (v >> (8 * k - 1)) & 1) v |= ~std::uint64_t(0) << (8 * k);  // sign-extend
    std::int64_t out;
    std::memcpy(&out, &v, 8);
    return out;
  }

  std::uint32_t global(const std::string& module, const std::string& name) {
    Value v;
    v.kind = Kind::Global;
    v.s = module + "." + name;
    if (module == "collections" && name == "OrderedDict") v.i = std::int64_t(Callable::OrderedDict);
    else if (module == "torch._utils" && name == "_rebuild_tensor_v2") v.i = std::int64_t(Callable::RebuildTensor);
    else if (module == "torch._utils" && name == "_rebuild_parameter") v.i = std::int64_t(Callable::RebuildParameter);
    else if (module == "torch._utils" && name == "_rebuild_parameter_with_state") v.i = std::int64_t(Callable::RebuildParameterWithState);
    else if (module == "torch" && name == "device") v.i = std::int64_t(Callable::Device);
    else if (module == "torch" && name == "Size") v.i = std::int64_t(Callable::Size);
    else if ((module == "builtins" || module == "__builtin__") && (name == "set" || name == "frozenset"))
      v.i = std::int64_t(Callable::Set);  // protocol 2 writes a set as set([items])
    else if (module == "_codecs" && name == "encode") v.i = std::int64_t(Callable::Bytes);  // and bytes as encode(str, 'latin1')
    else if (module == "torch" && torchStorageElementBytes(name) > 0) v.i = std::int64_t(Callable::Storage);
    else
      fail("global '" + quoteForMessage(v.s, 120) +
           "' is refused: a weights-only read takes tensors, storages, OrderedDict, torch.device and plain values "
           "(as torch.load(weights_only=True)); nothing was run");
    return make(std::move(v));
  }

  bool isInt(std::uint32_t v) const { return values_[v].kind == Kind::Int; }
  std::vector<std::int64_t> intTuple(std::uint32_t v, const char* what) const {
    const Value& t = values_[v];
    if (t.kind != Kind::Tuple) fail(std::string("_rebuild_tensor_v2: its ") + what + " is a " + kindName(t.kind) + ", not a tuple");
    std::vector<std::int64_t> out;
    for (std::uint32_t c : t.items) {
      if (!isInt(c)) fail(std::string("_rebuild_tensor_v2: its ") + what + " holds a " + kindName(values_[c].kind));
      out.push_back(values_[c].i);
    }
    return out;
  }

  std::uint32_t reduce(std::uint32_t callable, std::uint32_t args) {
    const Value& f = values_[callable];
    if (f.kind != Kind::Global) fail(std::string("REDUCE calls a ") + kindName(f.kind) + ", not an allowed global");
    if (values_[args].kind != Kind::Tuple) fail("REDUCE of " + f.s + " with " + kindName(values_[args].kind) + " arguments");
    const std::vector<std::uint32_t> a = values_[args].items;  // a copy: make() may move the arena
    switch (Callable(f.i)) {
      case Callable::OrderedDict:
        if (!a.empty()) fail("collections.OrderedDict called with arguments");
        return container(Kind::Dict, {});
      case Callable::Device:
        if (a.empty() || a.size() > 2 || values_[a[0]].kind != Kind::Str) fail("torch.device called with other than a device name");
        return text(values_[a[0]].s);
      case Callable::Set:
        if (a.empty()) return container(Kind::Set, {});
        if (a.size() != 1 || values_[a[0]].kind != Kind::List) fail(f.s + " called with other than a list");
        return container(Kind::Set, values_[a[0]].items);
      case Callable::Bytes:
        if (a.size() != 2 || values_[a[0]].kind != Kind::Str || values_[a[1]].kind != Kind::Str || values_[a[1]].s != "latin1")
          fail("_codecs.encode called with other than (str, 'latin1')");
        return text(values_[a[0]].s, Kind::Bytes);  // the code points < 256 as UTF-8; bytes are never needed
      case Callable::Size:
        if (a.size() != 1 || values_[a[0]].kind != Kind::Tuple) fail("torch.Size called with other than a tuple");
        return a[0];
      case Callable::RebuildParameter:
      case Callable::RebuildParameterWithState: {
        const std::size_t want = Callable(f.i) == Callable::RebuildParameter ? 3 : 4;
        if (a.size() != want || values_[a[0]].kind != Kind::Tensor) fail(f.s + " called with other than a tensor");
        return a[0];
      }
      case Callable::RebuildTensor: {
        if (a.size() != 6 && a.size() != 7) fail("_rebuild_tensor_v2 called with " + std::to_string(a.size()) + " arguments, not 6 or 7");
        if (values_[a[0]].kind != Kind::Storage) fail(std::string("_rebuild_tensor_v2 of a ") + kindName(values_[a[0]].kind) + ", not a storage");
        if (!isInt(a[1])) fail("_rebuild_tensor_v2: its storage offset is not an integer");
        TensorRecord t;
        t.storage = std::uint32_t(values_[a[0]].i);
        t.offset = values_[a[1]].i;
        t.shape = intTuple(a[2], "size");
        t.stride = intTuple(a[3], "stride");
        if (t.shape.size() != t.stride.size()) fail("_rebuild_tensor_v2: size and stride have different lengths");
        tensors_.push_back(std::move(t));
        Value v;
        v.kind = Kind::Tensor;
        v.i = std::int64_t(tensors_.size() - 1);
        return make(std::move(v));
      }
      case Callable::Storage: break;
    }
    fail(f.s + " cannot be called, only named in a persistent id");
  }

  std::uint32_t persistentStorage(std::uint32_t pid) {
    const Value& t = values_[pid];
    if (t.kind != Kind::Tuple || t.items.size() != 5) fail("a persistent id that is not ('storage', type, key, location, numel)");
    const auto& a = t.items;
    const Value& type = values_[a[1]];
    if (values_[a[0]].kind != Kind::Str || values_[a[0]].s != "storage" || type.kind != Kind::Global ||
        Callable(type.i) != Callable::Storage || values_[a[2]].kind != Kind::Str || values_[a[3]].kind != Kind::Str ||
        !isInt(a[4]) || values_[a[4]].i < 0)
      fail("a persistent id that is not ('storage', type, key, location, numel)");
    StorageRecord r;
    r.type = type.s.substr(6);  // after "torch."
    r.key = values_[a[2]].s;
    r.numel = std::uint64_t(values_[a[4]].i);
    storages_.push_back(std::move(r));
    Value v;
    v.kind = Kind::Storage;
    v.i = std::int64_t(storages_.size() - 1);
    return make(std::move(v));
  }

  void step(std::uint8_t op, std::size_t at) {
    switch (op) {
      case 0x80: {  // PROTO
        const int proto = byte();
        if (proto > 5) fail("pickle protocol " + std::to_string(proto) + " (protocols up to 5 are read)");
        return;
      }
      case 0x95: littleEndian(8); return;  // FRAME: a length hint
      case '(':
        if (marks_.size() >= std::size_t(kMaxPickleDepth)) fail("MARKs nested deeper than " + std::to_string(kMaxPickleDepth) + " levels");
        marks_.push_back(stack_.size());
        return;
      case '0': pop(); return;
      case '1': popMark(); return;
      case '2': push(top()); return;
      case 'N': push(make(Value{})); return;
      case 0x88: push(integer(1, Kind::Bool)); return;
      case 0x89: push(integer(0, Kind::Bool)); return;
      case 'J': push(integer(std::int32_t(std::uint32_t(littleEndian(4))))); return;
      case 'K': push(integer(std::int64_t(littleEndian(1)))); return;
      case 'M': push(integer(std::int64_t(littleEndian(2)))); return;
      case 0x8a: push(integer(longInteger(littleEndian(1)))); return;  // LONG1
      case 0x8b: push(integer(longInteger(littleEndian(4)))); return;  // LONG4
      case 'G': {  // BINFLOAT: no float is needed by a state dict, only its place on the stack
        need(8);
        pos_ += 8;
        Value v;
        v.kind = Kind::Float;
        push(make(std::move(v)));
        return;
      }
      case 'X': push(text(take(littleEndian(4)))); return;              // BINUNICODE
      case 0x8c: push(text(take(littleEndian(1)))); return;             // SHORT_BINUNICODE
      case 0x8d: push(text(take(littleEndian(8)))); return;             // BINUNICODE8
      case 'T': push(text(take(littleEndian(4)))); return;              // BINSTRING
      case 'U': push(text(take(littleEndian(1)))); return;              // SHORT_BINSTRING
      case 'B': push(text(take(littleEndian(4)), Kind::Bytes)); return;   // BINBYTES
      case 'C': push(text(take(littleEndian(1)), Kind::Bytes)); return;   // SHORT_BINBYTES
      case 0x8e: push(text(take(littleEndian(8)), Kind::Bytes)); return;  // BINBYTES8
      case 0x96: push(text(take(littleEndian(8)), Kind::Bytes)); return;  // BYTEARRAY8
      case ')': push(container(Kind::Tuple, {})); return;
      case 't': push(container(Kind::Tuple, popMark())); return;
      case 0x85: {
        const std::uint32_t a = pop();
        push(container(Kind::Tuple, {a}));
        return;
      }
      case 0x86: {
        const std::uint32_t b = pop(), a = pop();
        push(container(Kind::Tuple, {a, b}));
        return;
      }
      case 0x87: {
        const std::uint32_t c = pop(), b = pop(), a = pop();
        push(container(Kind::Tuple, {a, b, c}));
        return;
      }
      case ']': push(container(Kind::List, {})); return;
      case 'l': push(container(Kind::List, popMark())); return;
      case '}': push(container(Kind::Dict, {})); return;
      case 'd': {
        std::vector<std::uint32_t> items = popMark();
        if (items.size() % 2) fail("DICT with an odd number of items");
        push(container(Kind::Dict, std::move(items)));
        return;
      }
      case 0x8f: push(container(Kind::Set, {})); return;
      case 0x91: push(container(Kind::Set, popMark())); return;
      case 'a': {
        const std::uint32_t item = pop();
        addItems(top(), {item}, Kind::List, "APPEND");
        return;
      }
      case 's': {
        const std::uint32_t value = pop(), key = pop();
        addItems(top(), {key, value}, Kind::Dict, "SETITEM");
        return;
      }
      case 'e': case 'u': case 0x90: {  // APPENDS, SETITEMS, ADDITEMS
        std::vector<std::uint32_t> items = popMark();
        const Kind want = op == 'e' ? Kind::List : op == 'u' ? Kind::Dict : Kind::Set;
        addItems(top(), items, want, op == 'e' ? "APPENDS" : op == 'u' ? "SETITEMS" : "ADDITEMS");
        return;
      }
      case 'h': memoGet(littleEndian(1)); return;
      case 'j': memoGet(littleEndian(4)); return;
      case 'q': memoPut(littleEndian(1)); return;
      case 'r': memoPut(littleEndian(4)); return;
      case 0x94: memoPut(memo_.size()); return;  // MEMOIZE
      case 'c': {
        const std::string module = line();
        const std::string name = line();
        push(global(module, name));
        return;
      }
      case 0x93: {  // STACK_GLOBAL
        const std::uint32_t name = pop(), module = pop();
        if (values_[name].kind != Kind::Str || values_[module].kind != Kind::Str) fail("STACK_GLOBAL of other than two strings");
        push(global(values_[module].s, values_[name].s));
        return;
      }
      case 'R': {
        const std::uint32_t args = pop(), callable = pop();
        push(reduce(callable, args));
        return;
      }
      case 'b': {  // BUILD: an OrderedDict's attributes (_metadata) or a tensor's state; neither is needed
        pop();
        const Kind k = values_[top()].kind;
        if (k != Kind::Dict && k != Kind::Tensor) fail(std::string("BUILD on a ") + kindName(k));
        return;
      }
      case 'Q': push(persistentStorage(pop())); return;  // BINPERSID
      case 'i': {  // INST names its class inline: say which
        const std::string module = line();
        const std::string name = line();
        fail("INST of '" + quoteForMessage(module + "." + name, 120) + "' is refused: a weights-only read makes no objects; nothing was run");
      }
      default: break;
    }
    if (const char* name = opcodeName(op)) {
      std::string what = std::string("opcode ") + name + " at byte " + std::to_string(at) + " is refused";
      // OBJ, NEWOBJ and NEWOBJ_EX find their class among the top entries: name it.
      for (std::size_t k = 0; k < 3 && k < stack_.size(); ++k)
        if (const Value& c = values_[stack_[stack_.size() - 1 - k]]; c.kind == Kind::Global) {
          what += " (it would make a " + quoteForMessage(c.s, 120) + ")";
          break;
        }
      fail(what + ": a weights-only read makes no objects; nothing was run");
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", op);
    fail(std::string("unknown pickle opcode ") + hex + " at byte " + std::to_string(at));
  }

  std::vector<PickledTensor> stateDict(std::uint32_t root) const {
    const Value& d = values_[root];
    if (d.kind != Kind::Dict) fail(std::string("holds a ") + kindName(d.kind) + ", not a state dict");
    std::vector<PickledTensor> out;
    std::unordered_set<std::string> names;
    for (std::size_t k = 0; k + 1 < d.items.size(); k += 2) {
      const Value& key = values_[d.items[k]];
      const Value& value = values_[d.items[k + 1]];
      if (value.kind != Kind::Tensor) continue;
      if (key.kind != Kind::Str) fail(std::string("a tensor under a ") + kindName(key.kind) + " key, not a name");
      if (!names.insert(key.s).second) fail("tensor '" + quoteForMessage(key.s) + "' appears twice");
      const TensorRecord& t = tensors_[std::size_t(value.i)];
      const StorageRecord& s = storages_[t.storage];
      out.push_back(PickledTensor{key.s, s.key, s.type, s.numel, t.offset, t.shape, t.stride});
    }
    return out;
  }

  const std::uint8_t* p_;
  std::size_t n_, pos_ = 0;
  const std::string& file_;
  std::vector<Value> values_;
  std::vector<std::uint32_t> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, std::uint32_t> memo_;
  std::vector<StorageRecord> storages_;
  std::vector<TensorRecord> tensors_;
};

}  // namespace

int torchStorageElementBytes(const std::string& storage_type) {
  for (const auto& t : kStorageTypes)
    if (storage_type == t.name) return t.bytes;
  return 0;
}

std::vector<PickledTensor> readTorchPickle(const std::uint8_t* bytes, std::size_t size, const std::string& file) {
  return Unpickler(bytes, size, file).run();
}

}  // namespace attnviz::model
