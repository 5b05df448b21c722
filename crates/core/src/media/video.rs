//! A video's snapshot and duration, derived from the video when the caller gave only
//! `video_elem_video_path`: `ffprobe` (duration) and `ffmpeg` (the first frame as a JPEG) run
//! as child processes with a timeout, killed when they overrun or the send is dropped.
//!
//! Without ffmpeg there is no snapshot, and TIM requires one to send a video, so the send fails
//! with 6017 (`ERR_INVALID_PARAMETERS`) naming `video_elem_image_path`: the caller must give the
//! snapshot (or install ffmpeg). A missing ffprobe only leaves the duration as given.
use std::io::Cursor;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::options::MediaOptions;

/// How long one ffmpeg / ffprobe run may take.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(30);
/// The most snapshot bytes read from ffmpeg.
const MAX_SNAPSHOT: usize = 28 * 1024 * 1024;

fn tool(opts: &MediaOptions, name: &str) -> PathBuf {
    match &opts.ffmpeg_dir {
        Some(d) => d.join(name),
        None => PathBuf::from(name),
    }
}

/// Run a tool; `Ok(None)` when it is not installed.
async fn run(opts: &MediaOptions, name: &str, args: &[&str]) -> Result<Option<std::process::Output>> {
    let child = tokio::process::Command::new(tool(opts, name))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::Io(format!("{name}: {e}"))),
    };
    match tokio::time::timeout(TOOL_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(out)) => Ok(Some(out)),
        Ok(Err(e)) => Err(Error::Io(format!("{name}: {e}"))),
        Err(_) => Err(Error::InvalidParam(format!(
            "video_elem_video_path: {name} took longer than {}s; give video_elem_image_path",
            TOOL_TIMEOUT.as_secs()
        ))),
    }
}

/// ffmpeg's input for a local path (the `file:` protocol, so no path is read as an option).
fn input(path: &str) -> String {
    format!("file:{path}")
}

/// The first frame as a JPEG, with its width and height.
pub async fn snapshot(opts: &MediaOptions, path: &str) -> Result<(Vec<u8>, (u32, u32))> {
    let inp = input(path);
    let args = [
        "-nostdin",
        "-v",
        "error",
        "-i",
        &inp,
        "-frames:v",
        "1",
        "-f",
        "image2pipe",
        "-c:v",
        "mjpeg",
        "-q:v",
        "3",
        "pipe:1",
    ];
    let Some(out) = run(opts, "ffmpeg", &args).await? else {
        return Err(Error::InvalidParam(
            "video_elem_image_path is required: ffmpeg was not found to take a snapshot from the video".into(),
        ));
    };
    if !out.status.success() || out.stdout.is_empty() || out.stdout.len() > MAX_SNAPSHOT {
        return Err(Error::InvalidParam(
            "video_elem_video_path: ffmpeg could not read a frame from this file; give video_elem_image_path".into(),
        ));
    }
    let bytes = out.stdout;
    let dims = image::ImageReader::new(Cursor::new(&bytes))
        .with_guessed_format()
        .ok()
        .and_then(|r| r.into_dimensions().ok())
        .ok_or_else(|| Error::InvalidParam("video_elem_video_path: ffmpeg gave no usable frame".into()))?;
    Ok((bytes, dims))
}

/// The duration in whole seconds (rounded, at least 1), or `None` when ffprobe is missing or
/// cannot tell.
pub async fn duration(opts: &MediaOptions, path: &str) -> Result<Option<u64>> {
    let inp = input(path);
    let args = ["-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", &inp];
    let Some(out) = run(opts, "ffprobe", &args).await? else { return Ok(None) };
    if !out.status.success() {
        return Ok(None);
    }
    let secs: Option<f64> = String::from_utf8_lossy(&out.stdout).trim().parse().ok();
    Ok(secs.filter(|s| s.is_finite() && *s > 0.0).map(|s| (s.round() as u64).max(1)))
}
