//! A live survey: a fake rtl_tcp server streams a simulated drive in real time while the test
//! feeds the drive's positions (stamped with the current time) to a real gpsd on loopback
//! (`gpsd -N -n -b -S PORT tcp://127.0.0.1:FEEDPORT`, see `../shared/spec/live-sources.md`).
//! The local means must sit where the drive was when their samples arrived, at the true level;
//! the recording and position log written alongside must replay. Skipped without gpsd.

#[path = "common/rtltcp.rs"]
#[allow(dead_code)] // each test crate uses part of the shared server
mod rtltcp;

use linkscope::sim::drive::{nmea_latlon, Drive, DriveConfig};
use rtltcp::{FakeRtlTcp, Serve};
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn have_gpsd() -> bool {
    let ok = Command::new("sh")
        .args(["-c", "command -v gpsd || test -x /usr/sbin/gpsd"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("skipped: gpsd not installed");
    }
    ok
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Gpsd {
    child: Child,
    port: u16,
}

impl Drop for Gpsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// gpsd reading NMEA from a TCP feed the test serves; returns gpsd and the feed socket.
fn start_gpsd() -> (Gpsd, std::net::TcpStream) {
    let feed = TcpListener::bind("127.0.0.1:0").unwrap();
    let feed_port = feed.local_addr().unwrap().port();
    let port = free_port();
    let bin = if Path::new("/usr/sbin/gpsd").exists() {
        "/usr/sbin/gpsd"
    } else {
        "gpsd"
    };
    let child = Command::new(bin)
        .args(["-N", "-n", "-b", "-S", &port.to_string()])
        .arg(format!("tcp://127.0.0.1:{feed_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gpsd");
    feed.set_nonblocking(false).unwrap();
    let (sock, _) = feed.accept().unwrap();
    // Wait until gpsd accepts clients.
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t.elapsed() < Duration::from_secs(5), "gpsd did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    (Gpsd { child, port }, sock)
}

/// Sentences for the drive's position at drive time `k` s, stamped now.
fn fix_now(d: &Drive, k: f64) -> String {
    use linkscope::io::gps::nmea::sentence;
    let now = chrono::Utc::now();
    let (x, y, head) = d.xy_at(d.distance_at(k));
    let (lat, lon) = d.latlon(x, y);
    let hms = format!(
        "{}.{:02}",
        now.format("%H%M%S"),
        now.timestamp_subsec_millis() / 10
    );
    let ll = nmea_latlon(lat, lon);
    format!(
        "{}\r\n{}\r\n",
        sentence(&format!("GPGGA,{hms},{ll},1,09,0.9,44.0,M,,M,,")),
        sentence(&format!(
            "GPRMC,{hms},A,{ll},{:.2},{head:.1},{},,,A",
            d.config().speed_mps / (1852.0 / 3600.0),
            now.format("%d%m%y")
        ))
    )
}

struct LiveRun {
    out: std::process::Output,
    csv: String,
    drive: Drive,
    dir: tempfile::TempDir,
}

/// Run a live survey for `secs`; gpsd is killed after `kill_gpsd_after` s if given.
fn live_survey(secs: f64, kill_gpsd_after: Option<f64>) -> LiveRun {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("d");
    let b = base.to_str().unwrap();
    let st = Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .args([
            "gen",
            "survey",
            "-o",
            b,
            "--duration",
            "30s",
            "--format",
            "cu8",
            "--level-1km",
            "-20",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let mut cfg = DriveConfig::new(30.0);
    cfg.level_1km_dbfs = -20.0;
    let drive = Drive::new(cfg);
    let data = std::fs::read(format!("{b}.sigmf-data")).unwrap();
    let srv = FakeRtlTcp::start(Serve {
        data,
        rate: Some(16_000.0),
        cut_at: None,
        looped: false,
    });
    let (mut gpsd, mut feed) = start_gpsd();
    let csv = dir.path().join("lm.csv");
    let rec = dir.path().join("rec");
    let child = Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .args([
            "survey",
            "--device",
            &format!("rtl_tcp=127.0.0.1:{}", srv.port),
            "--rate",
            "16k",
            "--freq",
            "351.0115M",
            "-f",
            "351.0125M",
            "--gpsd",
            &format!("127.0.0.1:{}", gpsd.port),
            "--duration",
            &format!("{secs}s"),
            "--threshold=-30dBFS",
            "--csv",
            csv.to_str().unwrap(),
            "--record",
            rec.to_str().unwrap(),
            "--json",
            "-q",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Positions follow the IQ stream's clock: fix k when the server has streamed k seconds.
    let t = Instant::now();
    let started = loop {
        if let Some(s) = srv.started.get() {
            break *s;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "no IQ streamed");
        std::thread::sleep(Duration::from_millis(2));
    };
    // The server sleeps 50 ms after the greeting before the first byte; samples start then.
    let mut k = 0.0;
    while k <= secs + 1.0 {
        if kill_gpsd_after.is_some_and(|a| k >= a) {
            let _ = gpsd.child.kill();
            let _ = gpsd.child.wait();
            break;
        }
        let due = started + Duration::from_secs_f64(k);
        if let Some(w) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(w);
        }
        if feed.write_all(fix_now(&drive, k).as_bytes()).is_err() {
            break;
        }
        k += 0.5;
    }
    let out = child.wait_with_output().unwrap();
    drop(gpsd);
    let csv = std::fs::read_to_string(&csv).unwrap_or_default();
    LiveRun {
        out,
        csv,
        drive,
        dir,
    }
}

fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn live_survey_lines_positions_and_levels_up_with_the_drive() {
    if !have_gpsd() {
        return;
    }
    let t = Instant::now();
    let r = live_survey(12.0, None);
    assert!(
        r.out.status.success(),
        "{}",
        String::from_utf8_lossy(&r.out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&r.out.stdout).unwrap();
    assert_eq!(j["dropped_samples"], 0);
    let rows = rows(&r.csv);
    assert!(rows.len() >= 3, "{} local means: {}", rows.len(), r.csv);
    // Columns: time_utc,lat,lon,channel_mhz,samples,distance_m,duration_s,speed_mps,start_s,
    // end_s,local_mean_dbfs,…
    for row in &rows {
        let (lat, lon): (f64, f64) = (row[1].parse().unwrap(), row[2].parse().unwrap());
        let (a, b): (f64, f64) = (row[8].parse().unwrap(), row[9].parse().unwrap());
        let mid = 0.5 * (a + b);
        let d = &r.drive;
        let (x, y, _) = d.xy_at(d.distance_at(mid));
        let (tl, to) = d.latlon(x, y);
        let off = linkscope::io::gps::distance_m(lat, lon, tl, to);
        assert!(
            off < 15.0,
            "local mean at {mid:.2} s is {off:.1} m from the drive"
        );
        // Level: the true local mean over the window (cu8 quantisation adds ~-51 dBFS).
        let s0 = d.distance_at(a);
        let s1 = d.distance_at(b);
        let n = 200;
        let tru: f64 = (0..n)
            .map(|i| 10f64.powf(d.mean_level_dbfs(s0 + (s1 - s0) * i as f64 / n as f64) / 10.0))
            .sum::<f64>()
            / n as f64;
        let got: f64 = row[10].parse().unwrap();
        let err = got - 10.0 * tru.log10();
        assert!(
            err.abs() < 2.0,
            "level {got} vs truth {:.2}",
            10.0 * tru.log10()
        );
    }
    // The recording and position log replay.
    let rec = r.dir.path().join("rec");
    let (rc, _, err) = {
        let o = Command::new(env!("CARGO_BIN_EXE_linkscope"))
            .args(["info", rec.to_str().unwrap(), "--json"])
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    assert_eq!(rc, Some(0), "{err}");
    let log = linkscope::io::gps::read_log(&r.dir.path().join("rec.nmea")).unwrap();
    assert!(log.fixes.len() >= 15, "{} fixes logged", log.fixes.len());
    // Re-analysing the recording with its log gives the live session's local means again.
    let o = Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .args(["survey", rec.to_str().unwrap(), "--gps"])
        .arg(r.dir.path().join("rec.nmea"))
        .args(["-f", "351.0125M", "--threshold=-30dBFS", "--json", "-q"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let again: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (n0, n1) = (
        j["local_means"].as_i64().unwrap(),
        again["local_means"].as_i64().unwrap(),
    );
    assert!((n0 - n1).abs() <= 1, "live {n0} local means, replay {n1}");
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
}

#[test]
fn gpsd_going_away_keeps_what_was_measured() {
    if !have_gpsd() {
        return;
    }
    let r = live_survey(20.0, Some(8.0));
    assert_eq!(r.out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.out.stderr);
    assert!(
        err.contains("gpsd") && err.contains("outputs hold"),
        "{err}"
    );
    let rows = rows(&r.csv);
    assert!(rows.len() >= 2, "{} local means kept", rows.len());
    let j: serde_json::Value = serde_json::from_slice(&r.out.stdout).unwrap();
    assert_eq!(j["local_means"], rows.len() as u64);
}
