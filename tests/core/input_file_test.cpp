// The one input reader (core/input_file.h), the strict number routine, the memory budget, and the
// reader findings of issue 11 at the library level (the CLI side is in bad_input_table_test.cpp).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cmath>
#include <fstream>
#include <functional>

#include "core/attention.h"
#include "core/deck.h"
#include "core/input_file.h"
#include "core/memory_budget.h"
#include "core/npy.h"
#include "cli_test_support.h"
#include "core/strict_number.h"

using namespace attnviz;

namespace {

std::string scratchDir() {
  static std::string dir = [] {
    char tmpl[] = "/tmp/attnviz_input_XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  return dir;
}

std::string writeFile(const std::string& name, const std::string& bytes) {
  const std::string path = scratchDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// A file of `size` bytes that takes no disk space (a hole), starting with `head`.
std::string sparseFile(const std::string& name, const std::string& head, off_t size) {
  const std::string path = writeFile(name, head);
  EXPECT_EQ(::truncate(path.c_str(), size), 0);
  return path;
}

template <class F>
std::string errorOf(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

using attnviz::testing::npyHeader;

double secondsOf(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST(InputFile, ReadsARegularFileWhole) {
  const std::string path = writeFile("plain.txt", "hello\nworld\n");
  EXPECT_EQ(readInputFile(path, InputKind::Labels), "hello\nworld\n");
  const InputFile f(path, InputKind::Labels);
  EXPECT_EQ(f.size(), 12u);
  EXPECT_EQ(f.readAt(6, 5), "world");
  EXPECT_NE(errorOf([&] { f.readAt(10, 5); }).find("holds 12"), std::string::npos);
}

TEST(InputFile, RefusesAFifoWithoutBlocking) {
  const std::string path = scratchDir() + "/pipe.npy";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::string e;
  const double s = secondsOf([&] { e = errorOf([&] { readNpy(path); }); });
  EXPECT_LT(s, 5.0);
  EXPECT_EQ(e, path + ": is a FIFO (named pipe), not a npy array");
}

TEST(InputFile, RefusesDevicesAndDirectoriesSayingWhatTheyAre) {
  EXPECT_EQ(errorOf([] { readNpy("/dev/zero"); }), "/dev/zero: is a character device, not a npy array");
  EXPECT_EQ(errorOf([] { readLabels("/dev/zero"); }), "/dev/zero: is a character device, not a labels file");
  EXPECT_EQ(errorOf([] { loadDeck("/dev/zero"); }), "/dev/zero: is a character device, not a deck");
  EXPECT_EQ(errorOf([&] { readNpy(scratchDir()); }), scratchDir() + ": is a directory, not a npy array");
  EXPECT_NE(errorOf([] { readNpy("/nonexistent/q.npy"); }).find("cannot open file: No such file"), std::string::npos);
}

TEST(InputFile, RefusesFilesOverTheCapOfTheirKindBeforeReading) {
  const std::string labels = sparseFile("huge_labels.txt", "a\n", off_t(maxInputBytes(InputKind::Labels) + 1));
  std::string e;
  EXPECT_LT(secondsOf([&] { e = errorOf([&] { readLabels(labels); }); }), 1.0);
  EXPECT_EQ(e, labels + ": is 64.0 MiB; a labels file may be at most 64.0 MiB");
  const std::string deck = sparseFile("huge_deck.json", "{", off_t(maxInputBytes(InputKind::Deck) + 4096));
  EXPECT_NE(errorOf([&] { loadDeck(deck); }).find("a deck may be at most 16.0 MiB"), std::string::npos);
}

TEST(InputFile, ErrorsStayOnOneLine) {
  const InputError e("a\nb.npy", "line one\nline two\x01");
  EXPECT_STREQ(e.what(), "a\\nb.npy: line one\\nline two\\x01");
  EXPECT_EQ(e.file(), "a\nb.npy");
}

TEST(NpyReader, SparseFileBehindAValidHeaderIsRefusedBeforeReading) {
  // 20 GB of hole behind a header that promises 2 x 3 floats: the size check comes first.
  const std::string small = sparseFile("sparse_small.npy", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"),
                                       off_t(20) << 30);
  std::string e;
  EXPECT_LT(secondsOf([&] { e = errorOf([&] { readNpy(small); }); }), 1.0);
  EXPECT_NE(e.find("is 20.0 GiB; a npy array may be at most 4.0 GiB"), std::string::npos) << e;
  // A header that promises the 3 GiB the file holds, within the cap: refused by the memory budget,
  // not by running out of memory.
  const std::string big = sparseFile("sparse_big.npy", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (768, 1048576), }"),
                                     off_t(128) + (off_t(3) << 30));
  setMemoryBudget(std::uint64_t(1) << 30, "the test");
  try {
    readNpy(big);
    ADD_FAILURE() << "no error";
  } catch (const MemoryBudgetError& m) {
    EXPECT_NE(std::string(m.what()).find("needs about 3.0 GiB"), std::string::npos) << m.what();
    EXPECT_NE(std::string(m.what()).find("memory budget is 1.0 GiB (set by the test)"), std::string::npos) << m.what();
  }
  resetMemoryBudget();
  // The same header with fewer bytes than promised: refused by the size check.
  const std::string short_file = sparseFile("sparse_short.npy", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (768, 1048576), }"),
                                            off_t(1) << 20);
  EXPECT_NE(errorOf([&] { readNpy(short_file); }).find("3221225472 bytes of data) but the file holds"), std::string::npos);
}

TEST(NpyReader, HeaderWithDuplicateOrUnknownKeysIsRefused) {
  const std::string twice = npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (1,), }") + std::string(8, '\0');
  EXPECT_EQ(errorOf([&] { parseNpy(twice, "d.npy"); }).rfind("d.npy: header has the key 'shape' twice: {", 0), 0u);
  const std::string extra = npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1, }") + std::string(8, '\0');
  EXPECT_NE(errorOf([&] { parseNpy(extra, "d.npy"); }).find("unknown key 'x'"), std::string::npos);
}

TEST(NpyReader, UnbalancedHeaderIsReportedOnOneLine) {
  const std::string bytes = npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, }") + std::string(8, '\0');
  const std::string e = errorOf([&] { parseNpy(bytes, "u.npy"); });
  EXPECT_EQ(e, "u.npy: header has unbalanced brackets: {'descr': '<f4', 'fortran_order': False, 'shape': (2, }");
  const std::string quote = npyHeader("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}") + std::string(8, '\0');
  EXPECT_EQ(errorOf([&] { parseNpy(quote, "u.npy"); }).find('\n'), std::string::npos);
}

TEST(NpyReader, ReadsThroughTheFileReader) {
  const float values[] = {1, 2, 3, 4, 5, 6};
  const std::string path = writeFile("ok.npy", encodeNpy({2, 3}, values));
  const NpyArray a = readNpy(path);
  EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(a.data, std::vector<float>(values, values + 6));
}

TEST(DeckReader, NumberOverflowIsAnInputErrorNamingTheFile) {
  const std::string path = writeFile("overflow.json", R"({"steps": [{"text": "a b", "temperature": 1e400}]})");
  const std::string e = errorOf([&] { loadDeck(path); });
  EXPECT_EQ(e.rfind(path + ": not valid JSON", 0), 0u) << e;
  EXPECT_NE(e.find("1e400"), std::string::npos) << e;
}

TEST(DeckReader, TinyTemperatureIsClampedNotStoredAsZero) {
  const Deck d = parseDeck(R"({"steps": [{"text": "a b", "temperature": 1e-300}]})", "tiny.json");
  ASSERT_EQ(d.steps.size(), 1u);
  EXPECT_EQ(d.steps[0].temperature, kMinTemperature);
}

TEST(StrictNumber, AcceptsDecimalOnly) {
  EXPECT_EQ(parseDecimal("16"), 16.0);
  EXPECT_EQ(parseDecimal("-0.5"), -0.5);
  EXPECT_EQ(parseDecimal("2.5E+2"), 250.0);
  EXPECT_EQ(parseDecimal(".5"), 0.5);
  EXPECT_EQ(parseDecimal("1e-308"), 1e-308);  // subnormal but a double: accepted
  for (const char* bad : {"0x10", "0X1p3", "inf", "nan", "", " 1", "1 ", "+1", "1e", "e5", "1.2.3", "--1", "1e400", "1e-400", "1,5"})
    EXPECT_FALSE(parseDecimal(bad).has_value()) << bad;
  EXPECT_EQ(decimalProblem("1e400"), "is out of range");
  EXPECT_EQ(decimalProblem("0x10"), "is not a decimal number");
  EXPECT_EQ(decimalProblem("0e-999"), "");  // zero written oddly is still zero
}

TEST(StrictNumber, IntegersAreRangeCheckedNotNarrowed) {
  EXPECT_EQ(parseDecimalInteger("2147483647", INT_MIN, INT_MAX), 2147483647);
  EXPECT_FALSE(parseDecimalInteger("2147483648", INT_MIN, INT_MAX).has_value());
  EXPECT_EQ(parseDecimalInteger("-2147483648", INT_MIN, INT_MAX), INT_MIN);
  EXPECT_EQ(parseDecimalInteger("-9223372036854775808", INT64_MIN, INT64_MAX), INT64_MIN);
  EXPECT_FALSE(parseDecimalInteger("9223372036854775808", INT64_MIN, INT64_MAX).has_value());
  EXPECT_FALSE(parseDecimalInteger("99999999999999999999999", INT64_MIN, INT64_MAX).has_value());
  for (const char* bad : {"", "-", "1.0", "1e3", "0x10", " 1", "+1", "1a"})
    EXPECT_FALSE(parseDecimalInteger(bad, INT_MIN, INT_MAX).has_value()) << bad;
}

TEST(MemoryBudget, RefusesWithEstimateAndBudget) {
  setMemoryBudget(std::uint64_t(1) << 30, "--max-memory 1G");
  // The text of 23,000 tokens: 4 heads x 23000^2 floats = 7.9 GiB of result.
  const MemoryEstimate e = estimateAttention(4, 23000, 23000, 64, 64);
  EXPECT_GT(e.total(), std::uint64_t(8) << 30);
  try {
    checkMemoryBudget(e, "the text of 23000 tokens");
    ADD_FAILURE() << "no error";
  } catch (const MemoryBudgetError& m) {
    EXPECT_EQ(std::string(m.what()).rfind("the text of 23000 tokens needs about 9.9 GiB (result 7.9 GiB", 0), 0u) << m.what();
    EXPECT_NE(std::string(m.what()).find("but the memory budget is 1.0 GiB (set by --max-memory 1G)"), std::string::npos);
  }
  EXPECT_NO_THROW(checkMemoryBudget(estimateAttention(4, 100, 100, 64, 64), "small"));
  resetMemoryBudget();
  EXPECT_EQ(memoryBudget(), defaultMemoryBudget());
  if (physicalMemoryBytes() > 0) {
    EXPECT_EQ(defaultMemoryBudget(), physicalMemoryBytes() / 4);
  }
}

TEST(MemoryBudget, ParsesByteSizes) {
  EXPECT_EQ(parseByteSize("4G"), std::uint64_t(4) << 30);
  EXPECT_EQ(parseByteSize("512MiB"), std::uint64_t(512) << 20);
  EXPECT_EQ(parseByteSize("1.5g"), std::uint64_t(3) << 29);
  EXPECT_EQ(parseByteSize("1000"), 1000u);
  for (const char* bad : {"", "0", "-1G", "0x10", "4Q", "G", "1e400", "99999999999T"})
    EXPECT_FALSE(parseByteSize(bad).has_value()) << bad;
}
