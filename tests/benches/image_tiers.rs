//! Bench: both image tiers (large = short side 720, thumbnail = short side 198, JPEG q85) made by
//! `confab_core::imaging::make_tiers`, against libvips used in-process as the yardstick.
//!
//! Inputs are generated here, deterministically (photo-like: multi-octave noise, gradients,
//! discs, 1-px hatching and grain) and cached in `target/bench-images/`:
//! a 12 MP JPEG (4000×3000, q90, 4:2:0), a 4K PNG (3840×2160) and a 6 MP lossy WebP (3000×2000,
//! q85; Rust makes the pixels, libvips encodes the WebP since no pure-Rust lossy encoder exists).
//!
//! In the same run, a Python child process keeps libvips (through pyvips, operation cache off)
//! loaded and times two recipes inside the process, so interpreter start-up is not counted:
//! - `2x thumbnail`: `Image.thumbnail(file)` once per tier (shrink-on-load each time);
//! - `cascade`: `thumbnail(file)` for the large tier into memory, the thumbnail made from it
//!   (libvips's fastest recipe). Both write JPEG q85 to memory, like ours.
//!
//! Timings are interleaved: every iteration runs ours and both libvips recipes back to back (the
//! order alternating), because the machine is shared and its load drifts. The table gives the
//! median and best of every timing, and ours / libvips's best recipe (the one with the lower
//! median) as the median of the per-iteration paired ratios, and best against best.
//! Peak memory: the bench re-executes itself in a one-shot mode that makes the tiers of the
//! 12 MP JPEG once and reports its own VmHWM (peak RSS) from /proc/self/status.
//!
//! Target (issue 4): 12 MP JPEG ratio ≤ 1.0 against libvips in-process, peak RSS ≤ 32 MB.
//!
//! Run: `bash scripts/bench-images.sh` (installs libvips and pyvips, then runs
//! `cargo bench -p confab-tests --bench image_tiers`). `CONFAB_BENCH_PYTHON` names the Python with
//! pyvips (default `python3`); `CONFAB_BENCH_ROUNDS` (default 8) and `CONFAB_BENCH_ITERS`
//! (default 3) set the sampling. Without pyvips, only our figures are printed.
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use confab_core::imaging::{make_tiers, tier_size, LARGE_SIDE, THUMB_SIDE};
use image::{Rgb, RgbImage};
use serde_json::{json, Value};

const PEAK_RSS_TARGET_MB: f64 = 32.0;

const VIPS_HELPER: &str = r#"
import json, sys, time
import pyvips
pyvips.cache_set_max(0)
pyvips.cache_set_max_mem(0)
pyvips.cache_set_max_files(0)

def save(img):
    return img.jpegsave_buffer(Q=85, strip=True), img.width, img.height

def twice(path, lw, lh, tw, th):
    return [save(pyvips.Image.thumbnail(path, w, height=h, size="down")) for (w, h) in ((lw, lh), (tw, th)) if w]

def cascade(path, lw, lh, tw, th):
    if not lw:
        return twice(path, lw, lh, tw, th)
    large = pyvips.Image.thumbnail(path, lw, height=lh, size="down").copy_memory()
    return [save(large), save(large.thumbnail_image(tw, height=th, size="down"))]

RECIPES = {"twice": twice, "cascade": cascade}
print(json.dumps({"libvips": "%d.%d.%d" % (pyvips.version(0), pyvips.version(1), pyvips.version(2))}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    if req["op"] == "webp":
        pyvips.Image.new_from_file(req["src"]).webpsave(req["dst"], Q=85, strip=True)
        print("{}", flush=True)
        continue
    fn = RECIPES[req["recipe"]]
    times = []
    for _ in range(req["iters"]):
        t0 = time.perf_counter()
        outs = fn(req["path"], *req["sizes"])
        times.append(time.perf_counter() - t0)
    print(json.dumps({"times": times, "outs": [[w, h, len(b)] for (b, w, h) in outs]}), flush=True)
"#;

// ---- deterministic photo-like pixels ----

fn mix64(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn lattice(seed: u64, ix: i64, iy: i64) -> f32 {
    let h =
        mix64(seed ^ (ix as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (iy as u64).wrapping_mul(0xc2b2_ae3d_27d4_eb4f));
    (h >> 40) as f32 / (1u64 << 24) as f32
}

/// Smooth value noise in [0, 1].
fn noise(seed: u64, x: f32, y: f32) -> f32 {
    let (fx, fy) = (x.floor(), y.floor());
    let (ix, iy) = (fx as i64, fy as i64);
    let s = |t: f32| t * t * (3.0 - 2.0 * t);
    let (tx, ty) = (s(x - fx), s(y - fy));
    let a = lattice(seed, ix, iy) + (lattice(seed, ix + 1, iy) - lattice(seed, ix, iy)) * tx;
    let b = lattice(seed, ix, iy + 1) + (lattice(seed, ix + 1, iy + 1) - lattice(seed, ix, iy + 1)) * tx;
    a + (b - a) * ty
}

/// Six octaves of noise, the coarsest `scale` pixels across, in [0, 1].
fn fbm(seed: u64, x: f32, y: f32, scale: f32) -> f32 {
    let (mut sum, mut amp, mut norm, mut sc) = (0.0, 1.0, 0.0, scale);
    for o in 0..6 {
        sum += amp * noise(seed.wrapping_add(o), x / sc, y / sc);
        norm += amp;
        amp *= 0.5;
        sc *= 0.5;
    }
    sum / norm
}

struct Disc {
    cx: f32,
    cy: f32,
    r: f32,
    color: [f32; 3],
}

fn photo(w: u32, h: u32, seed: u64) -> RgbImage {
    let (wf, hf) = (w as f32, h as f32);
    let discs: Vec<Disc> = (0..7u64)
        .map(|i| {
            let r = |k: u64| (mix64(seed ^ (i * 16 + k)) >> 40) as f32 / (1u64 << 24) as f32;
            Disc {
                cx: r(1) * wf,
                cy: (0.45 + 0.5 * r(2)) * hf,
                r: (0.04 + 0.1 * r(3)) * wf.min(hf),
                color: [60.0 + 190.0 * r(4), 60.0 + 190.0 * r(5), 60.0 + 190.0 * r(6)],
            }
        })
        .collect();
    let pixel = |x: u32, y: u32| -> Rgb<u8> {
        let (xf, yf) = (x as f32, y as f32);
        let (u, v) = (xf / wf, yf / hf);
        let n1 = fbm(seed, xf, yf, 0.25 * wf);
        let n2 = fbm(seed ^ 0x55, xf, yf, 0.05 * wf);
        let horizon = 0.32 + 0.12 * fbm(seed ^ 0x77, xf, 0.0, 0.3 * wf);
        let mut c = if v < horizon {
            let cloud = (n1 - 0.45).max(0.0) * 2.5;
            [90.0 + 80.0 * v + 150.0 * cloud, 140.0 + 60.0 * v + 110.0 * cloud, 230.0 - 30.0 * v + 20.0 * cloud]
        } else {
            let t = n1 * 0.6 + n2 * 0.4;
            [60.0 + 120.0 * t + 40.0 * u, 90.0 + 110.0 * t, 40.0 + 60.0 * n2]
        };
        for d in &discs {
            let dist = ((xf - d.cx).powi(2) + (yf - d.cy).powi(2)).sqrt();
            if dist < d.r {
                let shade = 0.65 + 0.35 * (1.0 - dist / d.r) + 0.1 * (n2 - 0.5);
                c = [d.color[0] * shade, d.color[1] * shade, d.color[2] * shade];
            }
        }
        // A patch of 1-px hatching (fine detail that aliases when resized badly).
        if (0.62..0.8).contains(&u) && (0.55..0.75).contains(&v) {
            let on = (x + y) % 4 < 2;
            c = if on { [30.0, 30.0, 40.0] } else { [235.0, 230.0, 220.0] };
        }
        let grain = (mix64(seed ^ (u64::from(y) << 32 | u64::from(x))) % 15) as f32 - 7.0;
        Rgb(c.map(|v| (v + grain).clamp(0.0, 255.0) as u8))
    };
    // Two threads: the machine has two cores.
    let mut img = RgbImage::new(w, h);
    let rows = (h as usize).div_ceil(2);
    let stride = w as usize * 3;
    std::thread::scope(|s| {
        for (part, chunk) in img.chunks_mut(rows * stride).enumerate() {
            let pixel = &pixel;
            s.spawn(move || {
                for (i, px) in chunk.chunks_exact_mut(3).enumerate() {
                    let (x, y) = ((i % w as usize) as u32, (part * rows + i / w as usize) as u32);
                    px.copy_from_slice(&pixel(x, y).0);
                }
            });
        }
    });
    img
}

// ---- inputs ----

struct Input {
    name: &'static str,
    path: PathBuf,
    width: u32,
    height: u32,
}

fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-images")
}

fn make_inputs(vips: &mut Option<Vips>) -> Result<Vec<Input>> {
    let dir = bench_dir();
    std::fs::create_dir_all(&dir)?;
    let mut inputs = Vec::new();
    let jpg = dir.join("photo_12mp_v1.jpg");
    if !jpg.exists() {
        let img = photo(4000, 3000, 1);
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
        enc.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
        enc.encode(img.as_raw(), 4000, 3000, jpeg_encoder::ColorType::Rgb)?;
        std::fs::write(&jpg, out)?;
    }
    inputs.push(Input { name: "12 MP JPEG 4000x3000", path: jpg, width: 4000, height: 3000 });
    let png = dir.join("photo_4k_v1.png");
    if !png.exists() {
        photo(3840, 2160, 2).save(&png)?;
    }
    inputs.push(Input { name: "4K PNG 3840x2160", path: png, width: 3840, height: 2160 });
    let webp = dir.join("photo_6mp_v1.webp");
    if !webp.exists() {
        if let Some(v) = vips.as_mut() {
            let src = dir.join("photo_6mp_v1_src.png");
            photo(3000, 2000, 3).save(&src)?;
            v.ask(&json!({"op": "webp", "src": src, "dst": webp}))?;
            std::fs::remove_file(&src)?;
        }
    }
    if webp.exists() {
        inputs.push(Input { name: "6 MP WebP 3000x2000", path: webp, width: 3000, height: 2000 });
    } else {
        println!("(no pyvips: the lossy WebP input cannot be encoded, skipping it)");
    }
    Ok(inputs)
}

// ---- the libvips child ----

struct Vips {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    version: String,
}

impl Vips {
    fn start() -> Result<Vips> {
        let python = std::env::var("CONFAB_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = Command::new(&python)
            .args(["-c", VIPS_HELPER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("start {python}"))?;
        let stdin = child.stdin.take().context("stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("stdout")?);
        let mut v = Vips { child, stdin, stdout, version: String::new() };
        let hello = v.read()?;
        v.version = hello["libvips"].as_str().unwrap_or("?").to_string();
        Ok(v)
    }

    fn read(&mut self) -> Result<Value> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            bail!("the pyvips helper exited");
        }
        Ok(serde_json::from_str(&line)?)
    }

    fn ask(&mut self, req: &Value) -> Result<Value> {
        writeln!(self.stdin, "{req}")?;
        self.stdin.flush()?;
        self.read()
    }
}

impl Drop for Vips {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- measuring ----

/// Seconds taken, and each tier's (width, height, bytes).
type Timed = (f64, Vec<(u32, u32, usize)>);

fn ours_once(path: &Path) -> Result<Timed> {
    let t = Instant::now();
    let bytes = std::fs::read(path)?;
    let tiers = make_tiers(&bytes).map_err(|e| anyhow::anyhow!("make_tiers: {e}"))?;
    let secs = t.elapsed().as_secs_f64();
    let outs = [tiers.large, tiers.thumb].into_iter().flatten().map(|t| (t.width, t.height, t.bytes.len())).collect();
    Ok((secs, outs))
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn best(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn vm_hwm_kb() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).context("no VmHWM")?;
    Ok(line.split_whitespace().nth(1).context("VmHWM value")?.parse()?)
}

/// Peak RSS (MB) of a fresh copy of this binary that makes the tiers of `path` once (or, with
/// `None`, only starts and reads the file: the floor of the process itself).
fn peak_rss_mb(path: &Path, make: bool) -> Result<f64> {
    let mode = if make { "--one-shot" } else { "--one-shot-idle" };
    let out = Command::new(std::env::current_exe()?).arg(mode).arg(path).output()?;
    if !out.status.success() {
        bail!("one-shot run failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8(out.stdout)?;
    let kb: f64 = text.trim().strip_prefix("VmHWM_KB ").context("one-shot output")?.parse()?;
    Ok(kb / 1024.0)
}

fn cpu_pressure() -> String {
    std::fs::read_to_string("/proc/pressure/cpu")
        .ok()
        .and_then(|s| s.lines().next().map(|l| l.trim_start_matches("some ").to_string()))
        .unwrap_or_else(|| "n/a".into())
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default).max(1)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if let [mode, path] = args.as_slice() {
        if mode == "--one-shot" || mode == "--one-shot-idle" {
            let bytes = std::fs::read(path)?;
            if mode == "--one-shot" {
                let tiers = make_tiers(&bytes).map_err(|e| anyhow::anyhow!("make_tiers: {e}"))?;
                assert!(tiers.large.is_some() && tiers.thumb.is_some());
            }
            println!("VmHWM_KB {}", vm_hwm_kb()?);
            return Ok(());
        }
    }
    let rounds = env_num("CONFAB_BENCH_ROUNDS", 8);
    let iters = env_num("CONFAB_BENCH_ITERS", 3);
    let mut vips = match Vips::start() {
        Ok(v) => Some(v),
        Err(e) => {
            println!("libvips yardstick unavailable ({e:#}); run scripts/bench-images.sh to install it");
            None
        }
    };
    let t0 = Instant::now();
    let inputs = make_inputs(&mut vips)?;
    println!("inputs ready in {:.1} s in {}", t0.elapsed().as_secs_f64(), bench_dir().display());
    for i in &inputs {
        println!("  {}: {} KB", i.name, std::fs::metadata(&i.path)?.len() / 1024);
    }
    if let Some(v) = &vips {
        println!("libvips {} in-process via pyvips (operation cache off)", v.version);
    }
    println!("cpu pressure at start: {}", cpu_pressure());

    let recipes = ["twice", "cascade"];
    let mut ours: Vec<Vec<f64>> = vec![Vec::new(); inputs.len()];
    let mut theirs: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); recipes.len()]; inputs.len()];
    let mut our_outs = vec![Vec::new(); inputs.len()];
    let mut their_outs = vec![vec![Value::Null; recipes.len()]; inputs.len()];
    let sizes = |i: &Input| {
        let (lw, lh) = tier_size(i.width, i.height, LARGE_SIDE).unwrap_or((0, 0));
        let (tw, th) = tier_size(i.width, i.height, THUMB_SIDE).unwrap_or((0, 0));
        [lw, lh, tw, th]
    };
    // Warm-up (page cache, lazy initialisation on both sides), not counted.
    for (k, input) in inputs.iter().enumerate() {
        our_outs[k] = ours_once(&input.path)?.1;
        if let Some(v) = vips.as_mut() {
            for (r, recipe) in recipes.iter().enumerate() {
                let a = v.ask(
                    &json!({"op": "time", "recipe": recipe, "path": input.path, "sizes": sizes(input), "iters": 1}),
                )?;
                their_outs[k][r] = a["outs"].clone();
            }
        }
    }
    // Each iteration times ours and both libvips recipes back to back (the order alternates),
    // so the three see the same background load; a paired ratio is formed per iteration.
    for round in 0..rounds {
        for (k, input) in inputs.iter().enumerate() {
            for it in 0..iters {
                let mut o = 0.0;
                let mut v_times = [f64::NAN; 2];
                let ours_first = (round + it) % 2 == 0;
                for step in 0..2 {
                    if (step == 0) == ours_first {
                        o = ours_once(&input.path)?.0;
                    } else if let Some(v) = vips.as_mut() {
                        for (r, recipe) in recipes.iter().enumerate() {
                            let req = json!({"op": "time", "recipe": recipe, "path": input.path, "sizes": sizes(input), "iters": 1});
                            let a = v.ask(&req)?;
                            v_times[r] = a["times"][0].as_f64().context("times")?;
                        }
                    }
                }
                ours[k].push(o);
                for r in 0..recipes.len() {
                    theirs[k][r].push(v_times[r]);
                }
            }
        }
    }
    println!("cpu pressure at end:   {}", cpu_pressure());
    println!("{rounds} interleaved rounds x {iters} iterations; times in ms, median (best); file read included\n");

    let ms = |v: &[f64]| format!("{:.0} ({:.0})", median(v) * 1e3, best(v) * 1e3);
    println!(
        "| input | ours | libvips 2x thumbnail | libvips cascade | ours / libvips best recipe: median of paired ratios (best / best) | tiers: ours / libvips (KB) |"
    );
    println!("|---|---:|---:|---:|---:|---|");
    let mut jpeg_ratio = None;
    for (k, input) in inputs.iter().enumerate() {
        let o = &ours[k];
        let (twice, cascade, ratio, outs) = if vips.is_some() {
            // The best recipe is the one with the lower median on this file.
            let b = if median(&theirs[k][1]) <= median(&theirs[k][0]) { 1 } else { 0 };
            let paired: Vec<f64> = o.iter().zip(&theirs[k][b]).map(|(a, t)| a / t).collect();
            let (rm, rb) = (median(&paired), best(o) / best(&theirs[k][b]));
            if k == 0 {
                jpeg_ratio = Some((rm, rb));
            }
            let theirs_kb: Vec<String> = their_outs[k][b]
                .as_array()
                .map(|a| a.iter().map(|t| format!("{}x{} {}", t[0], t[1], t[2].as_u64().unwrap_or(0) / 1024)).collect())
                .unwrap_or_default();
            (ms(&theirs[k][0]), ms(&theirs[k][1]), format!("{rm:.2} ({rb:.2})"), theirs_kb.join(", "))
        } else {
            ("n/a".into(), "n/a".into(), "n/a".into(), "n/a".into())
        };
        let ours_kb: Vec<String> = our_outs[k].iter().map(|(w, h, n)| format!("{w}x{h} {}", n / 1024)).collect();
        println!("| {} | {} | {twice} | {cascade} | {ratio} | {} / {outs} |", input.name, ms(o), ours_kb.join(", "));
    }

    let idle = peak_rss_mb(&inputs[0].path, false)?;
    let peak = peak_rss_mb(&inputs[0].path, true)?;
    println!("\npeak RSS making both tiers of the 12 MP JPEG once: {peak:.1} MB (process floor with the file read: {idle:.1} MB)");
    match jpeg_ratio {
        Some((rm, rb)) => {
            let met = rm <= 1.0 && peak <= PEAK_RSS_TARGET_MB;
            println!(
                "target (12 MP JPEG: ratio <= 1.0 vs libvips in-process, peak RSS <= {PEAK_RSS_TARGET_MB} MB): {} \
                 (median paired ratio {rm:.2}, best / best {rb:.2}, {peak:.1} MB)",
                if met { "met" } else { "NOT met" }
            );
        }
        None => println!("target not evaluated: no libvips yardstick in this run"),
    }
    Ok(())
}
