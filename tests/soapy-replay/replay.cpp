// A test-only SoapySDR device: "replay" streams a file of samples as if it came from a receiver.
//
// Arguments (all key=value in the device string):
//   driver=replay        selects this module (find() returns nothing without it and file=)
//   file=PATH            the samples (raw, no header)
//   format=CU8|CS16|CF32 their encoding, offered as the device's native and only stream format
//   realtime=1           pace the stream at the sample rate (default 1; 0 = as fast as read)
//   loop=1               start again at the end of the file (default 0: end of stream)
//   overflow_at=N        after N samples, lose overflow_len samples and report SOAPY_SDR_OVERFLOW
//   overflow_len=N
//   fail_at=N            after N samples, fail with SOAPY_SDR_STREAM_ERROR (a device that vanishes)
//   test=NAME            anything unique: SoapySDR caches devices by their arguments
// The end of the file is reported as SOAPY_SDR_NOT_SUPPORTED (soapysdr-rs drops the END_BURST
// flag, so a return code carries it). Build:
//   g++ -std=c++17 -O2 -fPIC -shared -Wl,--no-undefined replay.cpp -o libreplay.so \
//       $(pkg-config --cflags --libs SoapySDR)

#include <SoapySDR/Device.hpp>
#include <SoapySDR/Errors.hpp>
#include <SoapySDR/Formats.hpp>
#include <SoapySDR/Registry.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

long long arg_ll(const SoapySDR::Kwargs &a, const char *k, long long d) {
    auto it = a.find(k);
    return it == a.end() ? d : std::stoll(it->second);
}

class Replay : public SoapySDR::Device {
  public:
    explicit Replay(const SoapySDR::Kwargs &a) : args_(a) {
        path_ = a.at("file");
        auto f = a.find("format");
        format_ = f == a.end() ? SOAPY_SDR_CU8 : f->second;
        if (format_ == SOAPY_SDR_CU8) {
            bytes_ = 2;
            full_scale_ = 128;
        } else if (format_ == SOAPY_SDR_CS16) {
            bytes_ = 4;
            full_scale_ = 32768;
        } else if (format_ == SOAPY_SDR_CF32) {
            bytes_ = 8;
            full_scale_ = 1.0;
        } else {
            throw std::runtime_error("replay: format must be CU8, CS16 or CF32");
        }
        realtime_ = arg_ll(a, "realtime", 1) != 0;
        loop_ = arg_ll(a, "loop", 0) != 0;
        overflow_at_ = arg_ll(a, "overflow_at", -1);
        overflow_len_ = arg_ll(a, "overflow_len", 0);
        fail_at_ = arg_ll(a, "fail_at", -1);
        file_ = std::fopen(path_.c_str(), "rb");
        if (!file_) throw std::runtime_error("replay: cannot open " + path_);
    }
    ~Replay() override {
        if (file_) std::fclose(file_);
    }

    std::string getDriverKey() const override { return "replay"; }
    std::string getHardwareKey() const override { return "replay"; }
    SoapySDR::Kwargs getHardwareInfo() const override {
        SoapySDR::Kwargs k;
        k["serial"] = "replay-0001";
        return k;
    }
    size_t getNumChannels(const int dir) const override { return dir == SOAPY_SDR_RX ? 1 : 0; }

    std::vector<std::string> getStreamFormats(const int, const size_t) const override {
        return {format_};
    }
    std::string getNativeStreamFormat(const int, const size_t, double &fs) const override {
        fs = full_scale_;
        return format_;
    }

    SoapySDR::Stream *setupStream(const int dir, const std::string &format,
                                  const std::vector<size_t> &ch,
                                  const SoapySDR::Kwargs &) override {
        if (dir != SOAPY_SDR_RX) throw std::runtime_error("replay: receive only");
        if (format != format_)
            throw std::runtime_error("replay: stream format " + format + " requested, file is " +
                                     format_);
        if (ch.size() > 1 || (ch.size() == 1 && ch[0] != 0))
            throw std::runtime_error("replay: one channel");
        return reinterpret_cast<SoapySDR::Stream *>(this);
    }
    void closeStream(SoapySDR::Stream *) override {}
    size_t getStreamMTU(SoapySDR::Stream *) const override { return 16384; }
    int activateStream(SoapySDR::Stream *, const int, const long long, const size_t) override {
        t0_ = Clock::now();
        pos_ = 0;
        active_ = true;
        return 0;
    }
    int deactivateStream(SoapySDR::Stream *, const int, const long long) override {
        active_ = false;
        return 0;
    }

    int readStream(SoapySDR::Stream *, void *const *buffs, const size_t num, int &flags,
                   long long &timeNs, const long timeoutUs) override {
        flags = 0;
        if (!active_) return SOAPY_SDR_STREAM_ERROR;
        if (fail_at_ >= 0 && pos_ >= fail_at_) return SOAPY_SDR_STREAM_ERROR;
        if (overflow_at_ >= 0 && pos_ >= overflow_at_ && overflow_len_ > 0) {
            // The lost samples' time passes; they are skipped in the file.
            std::fseek(file_, overflow_len_ * bytes_, SEEK_CUR);
            pos_ += overflow_len_;
            overflow_len_ = 0;
            return SOAPY_SDR_OVERFLOW;
        }
        size_t n = num < 16384 ? num : 16384;
        if (fail_at_ >= 0 && pos_ + (long long)n > fail_at_) n = size_t(fail_at_ - pos_);
        if (overflow_at_ >= 0 && overflow_len_ > 0 && pos_ + (long long)n > overflow_at_)
            n = size_t(overflow_at_ - pos_);
        if (realtime_) {
            auto due = t0_ + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>((pos_ + n) / rate_));
            auto limit = Clock::now() + std::chrono::microseconds(timeoutUs);
            if (due > limit) {
                std::this_thread::sleep_until(limit);
                return SOAPY_SDR_TIMEOUT;
            }
            std::this_thread::sleep_until(due);
        }
        size_t got = std::fread(buffs[0], bytes_, n, file_);
        if (got == 0 && n > 0) {
            if (!loop_) return SOAPY_SDR_NOT_SUPPORTED;
            std::rewind(file_);
            got = std::fread(buffs[0], bytes_, n, file_);
            if (got == 0) return SOAPY_SDR_NOT_SUPPORTED;
        }
        timeNs = (long long)(pos_ / rate_ * 1e9);
        pos_ += got;
        return int(got);
    }

    void setSampleRate(const int, const size_t, const double r) override {
        if (!(r > 0)) throw std::runtime_error("replay: bad rate");
        rate_ = r;
    }
    double getSampleRate(const int, const size_t) const override { return rate_; }
    SoapySDR::RangeList getSampleRateRange(const int, const size_t) const override {
        return {SoapySDR::Range(1e3, 100e6)};
    }
    void setFrequency(const int, const size_t, const double f, const SoapySDR::Kwargs &) override {
        freq_ = f;
    }
    void setFrequency(const int, const size_t, const std::string &name, const double f,
                      const SoapySDR::Kwargs &) override {
        if (name == "RF") freq_ = f;
        else if (name == "CORR") ppm_ = f;
        else throw std::runtime_error("replay: no component " + name);
    }
    double getFrequency(const int, const size_t) const override { return freq_; }
    double getFrequency(const int, const size_t, const std::string &name) const override {
        return name == "CORR" ? ppm_ : freq_;
    }
    std::vector<std::string> listFrequencies(const int, const size_t) const override {
        return {"RF", "CORR"};
    }
    SoapySDR::RangeList getFrequencyRange(const int, const size_t) const override {
        return {SoapySDR::Range(24e6, 1766e6)};
    }
    std::vector<std::string> listGains(const int, const size_t) const override {
        return {"LNA", "VGA"};
    }
    bool hasGainMode(const int, const size_t) const override { return true; }
    void setGainMode(const int, const size_t, const bool a) override { agc_ = a; }
    bool getGainMode(const int, const size_t) const override { return agc_; }
    void setGain(const int, const size_t, const std::string &name, const double g) override {
        gains_[name] = g;
    }
    double getGain(const int, const size_t, const std::string &name) const override {
        auto it = gains_.find(name);
        return it == gains_.end() ? 0 : it->second;
    }
    SoapySDR::Range getGainRange(const int, const size_t, const std::string &) const override {
        return SoapySDR::Range(0, 30);
    }
    SoapySDR::Range getGainRange(const int, const size_t) const override {
        return SoapySDR::Range(0, 60);
    }
    std::vector<std::string> listAntennas(const int, const size_t) const override {
        return {"RX", "RX2"};
    }
    void setAntenna(const int, const size_t, const std::string &a) override {
        if (a != "RX" && a != "RX2") throw std::runtime_error("replay: no antenna " + a);
    }
    std::string getAntenna(const int, const size_t) const override { return "RX"; }
    void setBandwidth(const int, const size_t, const double b) override { bw_ = b; }
    double getBandwidth(const int, const size_t) const override { return bw_; }
    SoapySDR::RangeList getBandwidthRange(const int, const size_t) const override {
        return {SoapySDR::Range(200e3, 8e6)};
    }

  private:
    SoapySDR::Kwargs args_;
    std::string path_, format_;
    size_t bytes_ = 2;
    double full_scale_ = 128, rate_ = 2.4e6, freq_ = 100e6, ppm_ = 0, bw_ = 0;
    bool realtime_ = true, loop_ = false, active_ = false, agc_ = true;
    long long overflow_at_ = -1, overflow_len_ = 0, fail_at_ = -1, pos_ = 0;
    std::map<std::string, double> gains_;
    std::FILE *file_ = nullptr;
    Clock::time_point t0_;
};

SoapySDR::KwargsList find_replay(const SoapySDR::Kwargs &a) {
    auto d = a.find("driver");
    if (d == a.end() || d->second != "replay" || a.find("file") == a.end()) return {};
    return {a};
}

SoapySDR::Device *make_replay(const SoapySDR::Kwargs &a) { return new Replay(a); }

SoapySDR::Registry registration("replay", &find_replay, &make_replay, SOAPY_SDR_ABI_VERSION);

}  // namespace
