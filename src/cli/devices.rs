//! `linkscope devices` — the SoapySDR devices on this machine and their ranges.

use clap::Args;

#[derive(Args)]
pub struct DevicesArgs {
    /// Only devices matching these SoapySDR arguments (e.g. driver=rtlsdr)
    #[arg(long, default_value = "")]
    filter: String,
    /// JSON on stdout
    #[arg(long)]
    json: bool,
}

#[cfg(feature = "soapy")]
pub fn run(a: DevicesArgs) -> anyhow::Result<()> {
    let list = linkscope::io::soapy::list_devices(&a.filter)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if list.is_empty() {
        println!("no SoapySDR devices found (is the device plugged in and its SoapySDR module installed, e.g. soapysdr-module-rtlsdr?)");
        println!("an rtl_tcp server is used with --device rtl_tcp=HOST:PORT");
        return Ok(());
    }
    let mhz = |v: &[[f64; 2]]| {
        v.iter()
            .map(|r| format!("{:.3}–{:.3} MHz", r[0] / 1e6, r[1] / 1e6))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for d in &list {
        println!("--device '{}'", d.args);
        if let Some(e) = &d.error {
            println!("  {e}");
            continue;
        }
        println!("  driver {}, native format {}", d.driver, d.native_format);
        println!("  tuning    {}", mhz(&d.frequency_ranges_hz));
        println!("  rates     {}", mhz(&d.sample_rates_hz));
        println!(
            "  gain      {:.1}–{:.1} dB{}; stages {}",
            d.gain_range_db[0],
            d.gain_range_db[1],
            if d.agc { ", auto available" } else { "" },
            d.gain_stages
                .iter()
                .map(|(k, r)| format!("{k} {:.1}–{:.1} dB", r[0], r[1]))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!("  antennas  {}", d.antennas.join(", "));
        if !d.bandwidths_hz.is_empty() {
            println!("  bandwidth {}", mhz(&d.bandwidths_hz));
        }
    }
    Ok(())
}

#[cfg(not(feature = "soapy"))]
pub fn run(a: DevicesArgs) -> anyhow::Result<()> {
    let _ = (a.filter, a.json);
    anyhow::bail!(
        "this linkscope was built without SoapySDR: install libsoapysdr-dev and pkg-config, then `cargo build --release --features soapy`. An rtl_tcp server works without it: --device rtl_tcp=HOST:PORT"
    )
}
