//! Subcommands, one file each.

mod bench;
mod cofdm;
mod common;
mod devices;
mod fm;
mod gen;
mod info;
mod mpt;
mod pdt;
mod record;
mod scan;
mod survey;

use clap::{Parser, Subcommand};

/// linkscope — a radio technician's test set for 350 MHz voice and 340 MHz COFDM links.
#[derive(Parser)]
#[command(version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Spectrum health of a band: channel power, occupancy, noise floor, interferers.
    Scan(Box<scan::ScanArgs>),
    /// What a capture holds: format, rate, frequency, duration, levels, clipping, metadata problems.
    Info(info::InfoArgs),
    /// MPT 1327 control channel: decode codewords, monitor its health, log channel grants.
    Mpt(Box<mpt::MptArgs>),
    /// PDT/DMR digital channel: decode bursts (slots, colour code, calls, CSBKs) and measure the link.
    Pdt(Box<pdt::PdtArgs>),
    /// Analogue NBFM channel: demodulate, decode CTCSS/DCS/DTMF/selcall, measure like a service monitor.
    Fm(Box<fm::FmArgs>),
    /// COFDM (DVB-T-derived) image link: detect the mode, decode the transport stream, measure MER/BER.
    Cofdm(Box<cofdm::CofdmArgs>),
    /// Record a live device (rtl_tcp, SoapySDR) as SigMF in its native sample format.
    Record(Box<record::RecordArgs>),
    /// List SoapySDR devices and their ranges (rates, gains, antennas, bandwidths).
    Devices(devices::DevicesArgs),
    /// Coverage survey along a route: capture/device + GPS → local means, tiles, reliability, maps.
    Survey(Box<survey::SurveyArgs>),
    /// Throughput of the DSP kernels and whole receivers, × real time (`--json`: anchor harness format).
    Bench(Box<bench::BenchArgs>),
    /// Generate test signals with known truth as SigMF recordings.
    #[command(subcommand)]
    Gen(gen::GenCmd),
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Scan(a) => scan::run(*a),
        Cmd::Info(a) => info::run(a),
        Cmd::Mpt(a) => mpt::run(*a),
        Cmd::Pdt(a) => pdt::run(*a),
        Cmd::Fm(a) => fm::run(*a),
        Cmd::Cofdm(a) => cofdm::run(*a),
        Cmd::Record(a) => record::run(*a),
        Cmd::Devices(a) => devices::run(a),
        Cmd::Survey(a) => survey::run(*a),
        Cmd::Bench(a) => bench::run(*a),
        Cmd::Gen(g) => gen::run(g),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
