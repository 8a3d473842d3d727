// The corpus replayer `make test` links with each harness instead of libFuzzer (g++ builds have no
// libFuzzer): it runs every file of the given directories through LLVMFuzzerTestOneInput, then a fixed
// number of mutants of them drawn from a fixed seed, so that a run is the same on every machine. It does
// not search for new inputs (no coverage feedback); `make fuzz` does that with clang's libFuzzer.
//
//   replay [--mutations=N] [--seed=S] [--max-len=L] <file or directory>...
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "harness.hpp"

namespace {

namespace fs = std::filesystem;
using Bytes = std::string;

bool read_whole(const fs::path& path, Bytes& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

void run_one(const Bytes& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

// Values that often sit on a boundary of a parser: lengths, signs, delimiters.
constexpr std::uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, '\r', '\n', ' ', '"', '\\', '{',  '}',
                                         '[',  ']',  ':',  ',',  '0',  '9',  '-',  ';', '=', '%',  0xc3, 0xed};

// One mutation in the manner of libFuzzer's basic mutators. Uses the engine's raw output only (the
// standard distributions differ between library implementations; mt19937's sequence does not).
Bytes mutate(const Bytes& input, const std::vector<Bytes>& corpus, std::mt19937& rng, std::size_t max_len) {
  Bytes out = input;
  const auto pick = [&rng](std::size_t n) { return n == 0 ? std::size_t{0} : static_cast<std::size_t>(rng() % n); };
  const unsigned steps = 1 + static_cast<unsigned>(rng() % 4);
  for (unsigned s = 0; s < steps; ++s) {
    switch (rng() % 7) {
      case 0:  // flip one bit
        if (!out.empty()) out[pick(out.size())] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:  // overwrite a byte with an interesting value
        if (!out.empty()) out[pick(out.size())] = static_cast<char>(kInteresting[pick(std::size(kInteresting))]);
        break;
      case 2: {  // erase a range
        if (out.empty()) break;
        const std::size_t at = pick(out.size());
        out.erase(at, 1 + pick(std::min<std::size_t>(out.size() - at, 16)));
        break;
      }
      case 3: {  // insert interesting bytes
        const std::size_t at = pick(out.size() + 1);
        out.insert(at, 1 + pick(8), static_cast<char>(kInteresting[pick(std::size(kInteresting))]));
        break;
      }
      case 4: {  // duplicate a range
        if (out.empty()) break;
        const std::size_t from = pick(out.size());
        const std::size_t len = 1 + pick(std::min<std::size_t>(out.size() - from, 64));
        out.insert(pick(out.size() + 1), out.substr(from, len));
        break;
      }
      case 5: {  // splice in a piece of another input
        const Bytes& other = corpus[pick(corpus.size())];
        if (other.empty()) break;
        const std::size_t from = pick(other.size());
        out.insert(pick(out.size() + 1), other.substr(from, 1 + pick(other.size() - from)));
        break;
      }
      default:  // truncate
        out.resize(pick(out.size() + 1));
        break;
    }
  }
  if (out.size() > max_len) out.resize(max_len);
  return out;
}

bool parse_number(std::string_view arg, std::string_view name, unsigned long long& value) {
  if (!arg.starts_with(name)) return false;
  value = std::stoull(std::string(arg.substr(name.size())));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long long mutations = 0, seed = 1, max_len = 64 * 1024;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (parse_number(arg, "--mutations=", mutations) || parse_number(arg, "--seed=", seed) ||
        parse_number(arg, "--max-len=", max_len))
      continue;
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg))
        if (entry.is_regular_file()) files.push_back(entry.path());
    } else {
      files.emplace_back(arg);
    }
  }
  std::sort(files.begin(), files.end());  // directory order differs between file systems
  std::vector<Bytes> corpus;
  for (const auto& file : files) {
    Bytes bytes;
    if (!read_whole(file, bytes)) {
      std::fprintf(stderr, "cannot read %s\n", file.c_str());
      return 2;
    }
    corpus.push_back(std::move(bytes));
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "no inputs: give corpus files or directories\n");
    return 2;
  }
  for (const auto& input : corpus) run_one(input);
  std::mt19937 rng(static_cast<std::mt19937::result_type>(seed));
  for (unsigned long long i = 0; i < mutations; ++i) {
    const Bytes& base = corpus[rng() % corpus.size()];
    run_one(mutate(base, corpus, rng, max_len));
  }
  std::printf("replayed %zu corpus inputs and %llu mutants (seed %llu): no finding\n", corpus.size(), mutations, seed);
  return 0;
}
