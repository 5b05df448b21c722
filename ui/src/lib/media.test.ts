import { describe, expect, it } from "vitest";
import {
  baseName, bubbleTier, imageSaveName, fitBox, formatDuration, formatSize, imageBox, kindForFile, markPlayed, nextZoom,
  originalIsLarger, pendingElem, percent, resendSource, viewerTier, voiceUnplayed, ZOOM_MAX, ZOOM_MIN,
} from "./media";
import type { Message } from "../tim/types";

const msg = (over: Partial<Message> & Record<string, unknown>): Message => ({
  message_elem_array: [], message_conv_id: "bob", message_conv_type: 1, message_sender: "bob",
  message_client_time: 1, message_server_time: 1, message_is_from_self: false, message_status: 2, message_msg_id: "m1",
  ...over,
}) as Message;

describe("formatting", () => {
  it("formats sizes the way people read them", () => {
    expect(formatSize(0)).toBe("0 B");
    expect(formatSize(980)).toBe("980 B");
    expect(formatSize(1024)).toBe("1 KB");
    expect(formatSize(12.34 * 1024)).toBe("12.3 KB");
    expect(formatSize(2.4 * 1024 * 1024)).toBe("2.4 MB");
    expect(formatSize(150 * 1024 * 1024)).toBe("150 MB");
    expect(formatSize(1.1 * 1024 ** 3)).toBe("1.1 GB");
    expect(formatSize(-1)).toBe("");
  });
  it("formats durations as m:ss", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(3)).toBe("0:03");
    expect(formatDuration(65)).toBe("1:05");
    expect(formatDuration(3725)).toBe("1:02:05");
  });
  it("gives whole percents, 0 when the total is unknown", () => {
    expect(percent(1, 3)).toBe(33);
    expect(percent(5, 5)).toBe(100);
    expect(percent(5, 0)).toBe(0);
    expect(percent(9, 5)).toBe(100);
  });
});

describe("image tiers and boxes", () => {
  const img = {
    elem_type: 1, image_elem_thumb_id: "t", image_elem_large_id: "l", image_elem_orig_id: "o",
    image_elem_thumb_pic_width: 198, image_elem_thumb_pic_height: 297,
    image_elem_large_pic_width: 720, image_elem_large_pic_height: 1080,
    image_elem_orig_pic_width: 2000, image_elem_orig_pic_height: 3000,
  };
  it("shows the thumbnail in the bubble and the large tier in the viewer", () => {
    expect(bubbleTier(img)).toBe("thumb");
    expect(viewerTier(img)).toBe("large");
    expect(originalIsLarger(img)).toBe(true);
    const small = { elem_type: 1, image_elem_orig_id: "o", image_elem_large_id: "o", image_elem_thumb_id: "o", image_elem_orig_pic_width: 100, image_elem_large_pic_width: 100 };
    expect(originalIsLarger(small)).toBe(false);
    expect(bubbleTier({ elem_type: 1, image_elem_orig_path: "/x.png" })).toBe(null);
    expect(viewerTier({ elem_type: 1, image_elem_thumb_url: "http://h/media/d/x" })).toBe("thumb");
  });
  it("suggests a name with the tier's format when saving", () => {
    expect(imageSaveName({ ...img, image_elem_format: 3 }, "orig")).toBe("image.png");
    expect(imageSaveName({ ...img, image_elem_format: 3 }, "large")).toBe("image.jpg");
    expect(imageSaveName({ elem_type: 1, image_elem_format: 2, image_elem_orig_id: "o", image_elem_large_id: "o" }, "large")).toBe("image.gif");
  });
  it("reserves the bubble's box from the tier dimensions", () => {
    expect(imageBox(img)).toEqual({ width: 160, height: 240 });
    expect(fitBox(100, 50)).toEqual({ width: 100, height: 50 });
    expect(fitBox(2000, 10)).toEqual({ width: 240, height: 48 });
    expect(fitBox(0, 0)).toEqual({ width: 180, height: 180 });
  });
});

describe("files and voice", () => {
  it("sends dropped and pasted files as the right kind", () => {
    expect(kindForFile("/home/a/Photo.JPG")).toBe("image");
    expect(kindForFile("clip.mp4")).toBe("video");
    expect(kindForFile("report.pdf")).toBe("file");
    expect(kindForFile("image", "image/png")).toBe("image");
    expect(kindForFile("noext")).toBe("file");
    expect(baseName("C:\\x\\y.txt")).toBe("y.txt");
    expect(pendingElem("file", "/tmp/a b.pdf").file_elem_file_name).toBe("a b.pdf");
  });
  it("keeps the unplayed dot until the voice note is marked played", () => {
    const voice = msg({ message_elem_array: [{ elem_type: 2, sound_elem_file_time: 3 }] });
    expect(voiceUnplayed(voice)).toBe(true);
    const played = markPlayed({ ...voice, local_key: "k" });
    expect(played.message_custom_int).toBe(1);
    expect("local_key" in played).toBe(false);
    expect(voiceUnplayed(played)).toBe(false);
    expect(voiceUnplayed({ ...voice, message_is_from_self: true })).toBe(false);
    expect(voiceUnplayed(msg({ message_elem_array: [{ elem_type: 0, text_elem_content: "x" }] }))).toBe(false);
  });
  it("resends failed media from its local path", () => {
    expect(resendSource(msg({ message_elem_array: [{ elem_type: 2, sound_elem_file_path: "/v.ogg", sound_elem_file_time: 4 }] })))
      .toEqual({ kind: "sound", path: "/v.ogg", duration: 4 });
    expect(resendSource(msg({ message_elem_array: [{ elem_type: 4, file_elem_file_id: "x" }] }))).toBe(null);
  });
  it("zooms in steps within bounds", () => {
    expect(nextZoom(1, 1)).toBe(1.25);
    expect(nextZoom(1, -1)).toBe(0.8);
    expect(nextZoom(ZOOM_MAX, 1)).toBe(ZOOM_MAX);
    expect(nextZoom(ZOOM_MIN, -1)).toBe(ZOOM_MIN);
  });
});
