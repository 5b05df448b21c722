//! Every JSON sample in the seed documents (`/work/shared/seeds/*.txt`) parses into the matching
//! protocol type with its documented meaning, and serializes back to the documented keys.
//!
//! The samples are stored verbatim under `tests/fixtures/seeds/`, one file per sample, named
//! `<seed>_<API>_<what>.json` (seed 003 is the rendered-text copy of 000, so its samples are the
//! same with other indentation; seed 002 has no JSON samples, only handle-based C code).
//!
//! A few samples are not strictly valid JSON (a trailing comma, a missing comma between lines).
//! [`lenient`] normalises only those slips before parsing, and every case states which fixes its
//! fixture needs, so a new slip (or a fix that is no longer needed) fails the test.
//!
//! Round trip rule: every key present in the sample appears in the serialized output with the
//! same value (recursively; the output may carry more keys, e.g. defaults). Keys the type does
//! not model are listed per case (`skip`), and values whose documented meaning differs from the
//! sample's spelling are listed with the expected output (`expect`).
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use confab_protocol::enums::{
    conv_type, elem_type, group_add_option, group_member_info_flag, group_member_modify_flag, group_member_role_flag,
    group_modify_info_flag, group_pendency_handle, group_pendency_handle_result, group_pendency_type, group_type,
    recv_msg_opt,
};
use confab_protocol::group::{
    CreateGroupParam, GroupDeleteMemberParam, GroupGetMemberInfoListParam, GroupHandlePendencyParam,
    GroupInviteMemberParam, GroupMemberGetInfoOption, GroupModifyInfoParam, GroupModifyMemberInfoParam,
    GroupPendencyOption,
};
use confab_protocol::{
    Draft, Elem, GetC2CRecvMsgOptResult, Message, MessageSearchParam, MsgBatchSendParam, MsgDeleteParam,
    MsgGetMsgListParam, MsgLocator, SdkConfig, SetConfig, TextElem,
};

// ---------------------------------------------------------------------------------------------
// Lenient pre-pass
// ---------------------------------------------------------------------------------------------

/// A syntax slip of the samples that [`lenient`] repairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fix {
    /// `,` directly before `}` or `]` (e.g. `"opt" : 0,\n}`): the comma is dropped.
    TrailingComma,
    /// Two values on consecutive lines with no comma between them (e.g.
    /// `"message_id" : "…"\n"message_client_time" : …`): a comma is inserted.
    MissingComma,
    /// A `//` comment outside a string: removed up to the end of the line.
    Comment,
}
use Fix::*;

fn is_value_end(c: char) -> bool {
    matches!(c, '"' | '}' | ']' | '0'..='9' | 'e' | 'l')
}

fn is_value_start(c: char) -> bool {
    matches!(c, '"' | '{' | '[' | '-' | '0'..='9' | 't' | 'f' | 'n')
}

/// Repairs only obvious syntax slips (trailing commas, missing commas between lines, `//`
/// comments); everything else is left for serde_json to judge. Returns the repaired text and
/// the kinds of fixes applied.
fn lenient(src: &str) -> (String, BTreeSet<Fix>) {
    let mut out = String::with_capacity(src.len() + 8);
    let mut fixes = BTreeSet::new();
    let mut in_string = false;
    let mut escape = false;
    // Last significant (non-whitespace, non-comment) char outside strings and its byte offset
    // in `out`; a string counts by its closing quote.
    let mut last: Option<(char, usize)> = None;
    let mut newline_since_last = false;
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escape {
                escape = false;
            } else if c == '\\' {
                escape = true;
            } else if c == '"' {
                in_string = false;
                last = Some(('"', out.len() - 1));
                newline_since_last = false;
            }
            continue;
        }
        if c == '/' && chars.peek() == Some(&'/') {
            fixes.insert(Comment);
            while chars.peek().is_some_and(|&n| n != '\n') {
                chars.next();
            }
            continue;
        }
        if c.is_whitespace() {
            if c == '\n' {
                newline_since_last = true;
            }
            out.push(c);
            continue;
        }
        if matches!(c, '}' | ']') {
            if let Some((',', pos)) = last {
                out.remove(pos);
                fixes.insert(TrailingComma);
            }
        } else if is_value_start(c) && newline_since_last {
            if let Some((prev, pos)) = last {
                if is_value_end(prev) {
                    out.insert(pos + 1, ',');
                    fixes.insert(MissingComma);
                }
            }
        }
        out.push(c);
        if c == '"' {
            in_string = true;
        } else {
            last = Some((c, out.len() - 1));
            newline_since_last = false;
        }
    }
    (out, fixes)
}

#[test]
fn lenient_repairs_only_the_slips() {
    let (s, f) = lenient("[\n  \"a\",\n  \"b\",\n]");
    assert_eq!(serde_json::from_str::<Value>(&s).unwrap(), json!(["a", "b"]));
    assert_eq!(f, BTreeSet::from([TrailingComma]));

    let (s, f) = lenient("{\n \"k\" : \"v\"\n \"n\" : 12\n \"o\" : {}\n \"t\" : true\n}");
    assert_eq!(serde_json::from_str::<Value>(&s).unwrap(), json!({"k": "v", "n": 12, "o": {}, "t": true}));
    assert_eq!(f, BTreeSet::from([MissingComma]));

    let (s, f) = lenient("{ // comment, with \"quotes\"\n \"a//b\" : \"x,]\", \"c\" : [1, 23] }");
    assert_eq!(serde_json::from_str::<Value>(&s).unwrap(), json!({"a//b": "x,]", "c": [1, 23]}));
    assert_eq!(f, BTreeSet::from([Comment]));

    let valid = "{\n  \"a\" : [ 1,\n 2 ],\n  \"b\" : \"\\\"\"\n}";
    assert_eq!(lenient(valid), (valid.to_string(), BTreeSet::new()));
}

// ---------------------------------------------------------------------------------------------
// Fixture loading and the round-trip check
// ---------------------------------------------------------------------------------------------

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seeds")
}

struct Sample {
    file: &'static str,
    /// The sample after [`lenient`].
    text: String,
    value: Value,
}

impl Sample {
    fn load(file: &'static str, expected_fixes: &[Fix]) -> Sample {
        let raw = std::fs::read_to_string(fixture_dir().join(file))
            .unwrap_or_else(|e| panic!("{file}: cannot read fixture: {e}"));
        let (text, fixes) = lenient(&raw);
        assert_eq!(
            fixes,
            expected_fixes.iter().copied().collect::<BTreeSet<_>>(),
            "{file}: the lenient pre-pass applied other fixes than documented"
        );
        let value: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: not JSON after the pre-pass: {e}"));
        Sample { file, text, value }
    }

    /// Parse into the protocol type (from the text, as an API would).
    fn parse<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("{}: does not parse as {}: {e}", self.file, std::any::type_name::<T>()))
    }

    /// Serialize `parsed` and check every key of the sample against the output. `skip` lists
    /// JSON pointers of keys the type does not model; `expect` lists pointers whose output value
    /// is documented to differ from the sample's spelling.
    fn round_trip<T: Serialize>(&self, parsed: &T, skip: &[&str], expect: &[(&str, Value)]) -> Value {
        let out = serde_json::to_value(parsed).unwrap();
        let mut used = BTreeSet::new();
        check_subset(self.file, "", &self.value, &out, skip, expect, &mut used);
        for p in skip.iter().copied().chain(expect.iter().map(|(p, _)| *p)) {
            assert!(used.contains(p), "{}: skip/expect entry {p} matches nothing in the sample", self.file);
        }
        // The output must itself parse back to the same value (a stable round trip).
        let text = serde_json::to_string(parsed).unwrap();
        let again: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(again, out, "{}: output text does not re-parse to the same value", self.file);
        out
    }
}

fn check_subset<'a>(
    file: &str,
    path: &str,
    sample: &Value,
    out: &Value,
    skip: &[&'a str],
    expect: &[(&'a str, Value)],
    used: &mut BTreeSet<&'a str>,
) {
    if let Some(p) = skip.iter().find(|p| **p == path) {
        used.insert(*p);
        return;
    }
    if let Some((p, v)) = expect.iter().find(|(p, _)| *p == path) {
        used.insert(*p);
        assert_eq!(out, v, "{file}: {path} serialized as {out}, expected {v}");
        return;
    }
    match sample {
        Value::Object(m) => {
            let o = out.as_object().unwrap_or_else(|| panic!("{file}: {path} should be an object, got {out}"));
            for (k, v) in m {
                let p = format!("{path}/{k}");
                if !skip.contains(&p.as_str()) && !o.contains_key(k) {
                    panic!("{file}: key {p} is missing from the output {out}");
                }
                check_subset(file, &p, v, o.get(k).unwrap_or(&Value::Null), skip, expect, used);
            }
        }
        Value::Array(a) => {
            let o = out.as_array().unwrap_or_else(|| panic!("{file}: {path} should be an array, got {out}"));
            assert_eq!(a.len(), o.len(), "{file}: {path} has another length in the output");
            for (i, (s, o)) in a.iter().zip(o).enumerate() {
                check_subset(file, &format!("{path}/{i}"), s, o, skip, expect, used);
            }
        }
        _ => assert_eq!(sample, out, "{file}: {path} changed in the round trip"),
    }
}

fn text_of(m: &Message) -> Vec<&str> {
    m.message_elem_array
        .iter()
        .map(|e| match e {
            Elem::Text(TextElem { text_elem_content }) => text_elem_content.as_str(),
            other => panic!("expected a text element, got {other:?}"),
        })
        .collect()
}

/// The message every "send"/"import"/"delete" sample builds: one text element, sender `user1`,
/// both times set to the same `time(NULL)` value.
fn assert_text_msg(m: &Message, text: &str, time: u64) {
    assert_eq!(text_of(m), [text]);
    assert_eq!(m.message_elem_array[0].elem_type(), elem_type::TEXT);
    assert_eq!(m.message_sender, "user1");
    assert_eq!(m.message_client_time, time);
    assert_eq!(m.message_server_time, time);
    // Not given: defaults.
    assert_eq!(m.message_conv_id, "");
    assert_eq!(m.message_status, 0);
    assert!(m.message_offlie_push_config.is_none());
}

// ---------------------------------------------------------------------------------------------
// The cases: one test per fixture
// ---------------------------------------------------------------------------------------------

macro_rules! seed_cases {
    ($($test:ident: $file:literal [$($fix:ident),*] => $check:ident;)*) => {
        /// Every fixture file that a test below covers.
        const CASES: &[&str] = &[$($file),*];
        $(
            #[test]
            fn $test() {
                $check(&Sample::load($file, &[$($fix),*]));
            }
        )*
    };
}

seed_cases! {
    // Message APIs: 000 (Chinese), 001 (English), 003 (000 as rendered text) carry the same samples.
    s000_send_message: "000_TIMMsgSendMessage_msg.json" [MissingComma] => send_message;
    s001_send_message: "001_TIMMsgSendMessage_msg.json" [MissingComma] => send_message;
    s003_send_message: "003_TIMMsgSendMessage_msg.json" [MissingComma] => send_message;
    s000_send_new_msg: "000_TIMMsgSendNewMsg_msg.json" [] => send_new_msg;
    s001_send_new_msg: "001_TIMMsgSendNewMsg_msg.json" [] => send_new_msg;
    s003_send_new_msg: "003_TIMMsgSendNewMsg_msg.json" [] => send_new_msg;
    s004_send_new_msg: "004_TIMMsgSendNewMsg_msg.json" [] => send_new_msg_array;
    s000_find_messages: "000_TIMMsgFindMessages_message_id_array.json" [TrailingComma] => message_id_array;
    s001_find_messages: "001_TIMMsgFindMessages_message_id_array.json" [TrailingComma] => message_id_array;
    s003_find_messages: "003_TIMMsgFindMessages_message_id_array.json" [TrailingComma] => message_id_array;
    s000_find_by_locator: "000_TIMMsgFindByMsgLocatorList_locator_array.json" [] => locator_array;
    s001_find_by_locator: "001_TIMMsgFindByMsgLocatorList_locator_array.json" [] => locator_array;
    s003_find_by_locator: "003_TIMMsgFindByMsgLocatorList_locator_array.json" [] => locator_array;
    s004_find_by_locator: "004_TIMMsgFindByMsgLocatorList_locator_array.json" [] => locator_array;
    s000_import: "000_TIMMsgImportMsgList_msg_array.json" [] => import_msg_array;
    s001_import: "001_TIMMsgImportMsgList_msg_array.json" [] => import_msg_array;
    s003_import: "003_TIMMsgImportMsgList_msg_array.json" [] => import_msg_array;
    s004_import: "004_TIMMsgImportMsgList_msg_array.json" [] => import_msg_array;
    s000_get_msg_list: "000_TIMMsgGetMsgList_get_msg_param.json" [] => get_msg_list_param;
    s001_get_msg_list: "001_TIMMsgGetMsgList_get_msg_param.json" [] => get_msg_list_param;
    s003_get_msg_list: "003_TIMMsgGetMsgList_get_msg_param.json" [] => get_msg_list_param;
    s004_get_msg_list: "004_TIMMsgGetMsgList_get_msg_param.json" [] => get_msg_list_param;
    s000_delete: "000_TIMMsgDelete_delete_param.json" [] => msg_delete_param;
    s001_delete: "001_TIMMsgDelete_delete_param.json" [] => msg_delete_param;
    s003_delete: "003_TIMMsgDelete_delete_param.json" [] => msg_delete_param;
    s004_delete: "004_TIMMsgDelete_delete_param.json" [] => msg_delete_param;
    s000_list_delete: "000_TIMMsgListDelete_msg_array.json" [] => list_delete_msg_array;
    s001_list_delete: "001_TIMMsgListDelete_msg_array.json" [] => list_delete_msg_array;
    s003_list_delete: "003_TIMMsgListDelete_msg_array.json" [] => list_delete_msg_array;
    s000_c2c_recv_opt: "000_TIMMsgGetC2CReceiveMessageOpt_result.json" [TrailingComma] => c2c_recv_opt_result;
    s001_c2c_recv_opt: "001_TIMMsgGetC2CReceiveMessageOpt_result.json" [TrailingComma] => c2c_recv_opt_result;
    s003_c2c_recv_opt: "003_TIMMsgGetC2CReceiveMessageOpt_result.json" [TrailingComma] => c2c_recv_opt_result;
    s000_search: "000_TIMMsgSearchLocalMessages_search_param.json" [] => search_param;
    s001_search: "001_TIMMsgSearchLocalMessages_search_param.json" [] => search_param;
    s003_search: "003_TIMMsgSearchLocalMessages_search_param.json" [] => search_param;
    s000_batch_send: "000_TIMMsgBatchSend_batch_send_param.json" [] => batch_send_param;
    s001_batch_send: "001_TIMMsgBatchSend_batch_send_param.json" [] => batch_send_param;
    s003_batch_send: "003_TIMMsgBatchSend_batch_send_param.json" [] => batch_send_param;
    s004_batch_send: "004_TIMMsgBatchSend_batch_send_param.json" [] => batch_send_param;
    // 004: init, config, conversations, groups.
    s004_init: "004_TIMInit_sdk_config.json" [] => sdk_config;
    s004_set_config: "004_TIMSetConfig_config.json" [] => set_config;
    s004_set_draft: "004_TIMConvSetDraft_draft.json" [] => draft;
    s004_group_create: "004_TIMGroupCreate_create_param.json" [] => group_create_param;
    s004_group_invite: "004_TIMGroupInviteMember_invite_param.json" [] => group_invite_param;
    s004_group_delete_member: "004_TIMGroupDeleteMember_delete_param.json" [] => group_delete_member_param;
    s004_group_info_list: "004_TIMGroupGetGroupInfoList_group_id_array.json" [] => group_id_array;
    s004_modify_owner: "004_TIMGroupModifyGroupInfo_owner.json" [] => modify_group_owner;
    s004_modify_name: "004_TIMGroupModifyGroupInfo_name_notification.json" [] => modify_group_name_notification;
    s004_member_list: "004_TIMGroupGetMemberInfoList_get_member_param.json" [] => get_member_info_list_param;
    s004_modify_member: "004_TIMGroupModifyMemberInfo_modify_member_param.json" [] => modify_member_info_param;
    s004_pendency_list: "004_TIMGroupGetPendencyList_pendency_option.json" [] => pendency_option;
    s004_handle_pendency: "004_TIMGroupHandlePendency_handle_pendency_param.json" [] => handle_pendency_param;
}

/// A new sample cannot be silently skipped: every fixture needs a case, every case a fixture.
#[test]
fn every_fixture_is_covered() {
    let mut on_disk = BTreeSet::new();
    for entry in std::fs::read_dir(fixture_dir()).expect("fixture dir") {
        let name = entry.unwrap().file_name().into_string().unwrap();
        on_disk.insert(name);
    }
    let covered: BTreeSet<String> = CASES.iter().map(|s| s.to_string()).collect();
    assert_eq!(covered.len(), CASES.len(), "a fixture is listed twice");
    let uncovered: Vec<_> = on_disk.difference(&covered).collect();
    assert!(uncovered.is_empty(), "fixtures without a test: {uncovered:?}");
    let missing: Vec<_> = covered.difference(&on_disk).collect();
    assert!(missing.is_empty(), "tests without a fixture: {missing:?}");
    assert_eq!(on_disk.len(), 52);
}

// --- message APIs ------------------------------------------------------------------------------

/// `TIMMsgSendMessage` input. The sample carries `message_id`, a key that no header defines
/// (the spec says to ignore it), and lacks the comma after it.
fn send_message(s: &Sample) {
    let m: Message = s.parse();
    assert_text_msg(&m, "send text", 1551446728);
    assert_eq!(m.message_msg_id, "", "message_id is not message_msg_id");
    s.round_trip(&m, &["/message_id"], &[]);
}

/// `TIMMsgSendNewMsg` input (000/001/003).
fn send_new_msg(s: &Sample) {
    let m: Message = s.parse();
    assert_text_msg(&m, "send text", 1551446728);
    s.round_trip(&m, &[], &[]);
}

/// 004's `TIMMsgSendNewMsg` sample prints an array of one message, although its code builds a
/// single message object; it is kept as documented and parsed as `Vec<Message>`.
fn send_new_msg_array(s: &Sample) {
    let msgs: Vec<Message> = s.parse();
    assert_eq!(msgs.len(), 1);
    assert_text_msg(&msgs[0], "send text", 1551446728);
    s.round_trip(&msgs, &[], &[]);
}

/// `TIMMsgFindMessages` input: an array of message ID strings (sample has a trailing comma).
fn message_id_array(s: &Sample) {
    let ids: Vec<String> = s.parse();
    assert_eq!(ids, ["id_clienttime_rand_1", "id_clienttime_rand_2"]);
    s.round_trip(&ids, &[], &[]);
}

/// `TIMMsgFindByMsgLocatorList` input: an array of MsgLocator.
fn locator_array(s: &Sample) {
    let locs: Vec<MsgLocator> = s.parse();
    assert_eq!(locs.len(), 1);
    let l = &locs[0];
    assert!(!l.message_locator_is_revoked);
    assert!(!l.message_locator_is_self);
    assert_eq!(l.message_locator_rand, 12345678);
    assert_eq!(l.message_locator_seq, 1);
    assert_eq!(l.message_locator_time, 123);
    assert_eq!(l.message_locator_unique_id, 0, "not given");
    assert_eq!(l.message_locator_conv_id, "", "not given (the conversation is an API argument)");
    s.round_trip(&locs, &[], &[]);
}

/// `TIMMsgImportMsgList` input: an array of Message.
fn import_msg_array(s: &Sample) {
    let msgs: Vec<Message> = s.parse();
    assert_eq!(msgs.len(), 1);
    assert_text_msg(&msgs[0], "this is import msg", 1551446728);
    s.round_trip(&msgs, &[], &[]);
}

/// `TIMMsgListDelete` input: an array of Message.
fn list_delete_msg_array(s: &Sample) {
    let msgs: Vec<Message> = s.parse();
    assert_eq!(msgs.len(), 1);
    assert_text_msg(&msgs[0], "I will be deleted", 1551446728);
    s.round_trip(&msgs, &[], &[]);
}

/// `TIMMsgGetMsgList` input: 100 messages, forward, local only, anchor `{}` (= newest).
fn get_msg_list_param(s: &Sample) {
    let p: MsgGetMsgListParam = s.parse();
    assert_eq!(p.msg_getmsglist_param_count, 100);
    assert!(p.msg_getmsglist_param_is_forward);
    assert!(!p.msg_getmsglist_param_is_remble);
    assert_eq!(p.msg_getmsglist_param_last_msg, Some(Message::default()));
    assert_eq!(p.msg_getmsglist_param_last_msg_seq, 0);
    assert_eq!(p.msg_getmsglist_param_time_begin, 0);
    let out = s.round_trip(&p, &[], &[]);
    assert!(out.get("msg_getmsglist_param_is_ramble").is_none(), "baseline spelling only");
}

/// `TIMMsgDelete` input: local (not roaming) delete with an empty message object.
fn msg_delete_param(s: &Sample) {
    let p: MsgDeleteParam = s.parse();
    assert!(!p.msg_delete_param_is_remble);
    assert_eq!(p.msg_delete_param_msg, Some(Message::default()));
    let out = s.round_trip(&p, &[], &[]);
    assert!(out.get("msg_delete_param_is_ramble").is_none(), "baseline spelling only");
}

/// `TIMMsgGetC2CReceiveMessageOpt` result (sample has trailing commas inside the objects).
fn c2c_recv_opt_result(s: &Sample) {
    let r: Vec<GetC2CRecvMsgOptResult> = s.parse();
    assert_eq!(
        r,
        [
            GetC2CRecvMsgOptResult {
                msg_recv_msg_opt_result_identifier: "user1".into(),
                msg_recv_msg_opt_result_opt: recv_msg_opt::RECEIVE,
            },
            GetC2CRecvMsgOptResult {
                msg_recv_msg_opt_result_identifier: "user2".into(),
                msg_recv_msg_opt_result_opt: recv_msg_opt::NOT_RECEIVE,
            },
        ]
    );
    s.round_trip(&r, &[], &[]);
}

/// `TIMMsgSearchLocalMessages` input. (The code also sets conv id/type, but the printed
/// sample omits them; only what the sample shows is asserted.)
fn search_param(s: &Sample) {
    let p: MessageSearchParam = s.parse();
    assert_eq!(p.msg_search_param_keyword_array, ["keyword1", "keyword2"]);
    assert_eq!(p.msg_search_param_message_type_array, [elem_type::TEXT, elem_type::IMAGE]);
    assert_eq!(p.msg_search_param_page_index, 0);
    assert_eq!(p.msg_search_param_page_size, 10);
    assert_eq!(p.msg_search_param_conv_type, conv_type::INVALID, "absent = all conversations");
    assert!(p.msg_search_param_send_indentifier_array.is_empty());
    s.round_trip(&p, &[], &[]);
}

/// `TIMMsgBatchSend` input: one text message to user2 and user3.
fn batch_send_param(s: &Sample) {
    let p: MsgBatchSendParam = s.parse();
    assert_eq!(p.msg_batch_send_param_identifier_array, ["user2", "user3"]);
    assert_text_msg(&p.msg_batch_send_param_msg, "this is batch send msg", 1551340614);
    s.round_trip(&p, &[], &[]);
}

// --- init, config, conversations ------------------------------------------------------------------

/// `TIMInit` config. `sdk_config_account_type` and `sdk_config_device_info` are legacy keys
/// that the data model does not define (ignored on input, not emitted).
fn sdk_config(s: &Sample) {
    let c: SdkConfig = s.parse();
    assert_eq!(c.sdk_config_config_file_path, "D:\\");
    assert_eq!(c.sdk_config_log_file_path, "D:\\");
    assert_eq!(c.sdk_config_server_url, "");
    let out = s.round_trip(&c, &["/sdk_config_account_type", "/sdk_config_device_info"], &[]);
    assert!(out.get("sdk_config_account_type").is_none());
}

/// `TIMSetConfig`: enable read receipts, nothing else.
fn set_config(s: &Sample) {
    let c: SetConfig = s.parse();
    let u = c.set_config_user_config.as_ref().expect("user config given");
    assert!(u.user_config_is_read_receipt);
    assert!(!u.user_config_is_sync_report);
    assert!(!u.user_config_is_ingore_grouptips_unread);
    assert!(!u.user_config_is_is_disable_storage);
    assert_eq!(c.set_config_log_level, None);
    assert_eq!(c.set_config_is_log_output_console, None);
    let out = s.round_trip(&c, &[], &[]);
    assert_eq!(out.as_object().unwrap().len(), 1, "only the given option is emitted: {out}");
}

/// `TIMConvSetDraft` input.
fn draft(s: &Sample) {
    let d: Draft = s.parse();
    assert_eq!(text_of(&d.draft_msg), ["this draft"]);
    assert_eq!(d.draft_user_define, "this is userdefine");
    assert_eq!(d.draft_edit_time, 1551271429);
    s.round_trip(&d, &[], &[]);
}

// --- groups ------------------------------------------------------------------------------------

/// `TIMGroupCreate` input: a Public group that anyone may join, 2000 members max.
fn group_create_param(s: &Sample) {
    let p: CreateGroupParam = s.parse();
    assert_eq!(p.create_group_param_group_id, "first group id");
    assert_eq!(p.create_group_param_group_name, "first group name");
    assert_eq!(p.create_group_param_group_type, group_type::PUBLIC);
    assert!(p.create_group_param_group_member_array.is_empty());
    assert_eq!(p.create_group_param_notification, "group notification");
    assert_eq!(p.create_group_param_introduction, "group introduction");
    assert_eq!(p.create_group_param_face_url, "group face url");
    assert_eq!(p.create_group_param_max_member_num, 2000);
    assert_eq!(p.create_group_param_add_option, Some(group_add_option::ANY));
    s.round_trip(&p, &[], &[]);
}

/// `TIMGroupInviteMember` input.
fn group_invite_param(s: &Sample) {
    let p: GroupInviteMemberParam = s.parse();
    assert_eq!(p.group_invite_member_param_group_id, "first group id");
    assert_eq!(p.group_invite_member_param_identifier_array, ["user1", "user2"]);
    assert_eq!(p.group_invite_member_param_user_data, "userdata");
    s.round_trip(&p, &[], &[]);
}

/// `TIMGroupDeleteMember` input.
fn group_delete_member_param(s: &Sample) {
    let p: GroupDeleteMemberParam = s.parse();
    assert_eq!(p.group_delete_member_param_group_id, "third group id");
    assert_eq!(p.group_delete_member_param_identifier_array, ["user2", "user3"]);
    assert_eq!(p.group_delete_member_param_user_data, "reason");
    s.round_trip(&p, &[], &[]);
}

/// `TIMGroupGetGroupInfoList` input: a plain array of group ID strings.
fn group_id_array(s: &Sample) {
    let ids: Vec<String> = s.parse();
    assert_eq!(ids, ["third group id", "second group id", "first group id"]);
    s.round_trip(&ids, &[], &[]);
}

/// `TIMGroupModifyGroupInfo`, owner transfer. The C++ sample assigned the enum into an `int`,
/// so the owner bit 0x80000000 is printed as -2147483648; it means 2147483648 and is emitted so.
fn modify_group_owner(s: &Sample) {
    let p: GroupModifyInfoParam = s.parse();
    assert_eq!(p.group_modify_info_param_group_id, "first group id");
    assert_eq!(p.group_modify_info_param_modify_flag, group_modify_info_flag::OWNER);
    assert_eq!(p.group_modify_info_param_modify_flag, 2147483648);
    assert_eq!(p.group_modify_info_param_owner, "user2");
    s.round_trip(&p, &[], &[("/group_modify_info_param_modify_flag", json!(2147483648u64))]);
}

/// `TIMGroupModifyGroupInfo`, name + notification (flag 3 = Name | Notification).
fn modify_group_name_notification(s: &Sample) {
    let p: GroupModifyInfoParam = s.parse();
    assert_eq!(p.group_modify_info_param_group_id, "first group id");
    assert_eq!(
        p.group_modify_info_param_modify_flag,
        group_modify_info_flag::NAME | group_modify_info_flag::NOTIFICATION
    );
    assert_eq!(p.group_modify_info_param_group_name, "first group name to other name");
    assert_eq!(p.group_modify_info_param_notification, "first group notification");
    assert_eq!(p.group_modify_info_param_owner, "");
    s.round_trip(&p, &[], &[]);
}

/// `TIMGroupGetMemberInfoList` input: first page of all members, info flag None, all roles.
fn get_member_info_list_param(s: &Sample) {
    let p: GroupGetMemberInfoListParam = s.parse();
    assert_eq!(p.group_get_members_info_list_param_group_id, "first group id");
    assert!(p.group_get_members_info_list_param_identifier_array.is_empty(), "empty = page through all");
    assert_eq!(p.group_get_members_info_list_param_next_seq, 0, "first page");
    let o: &GroupMemberGetInfoOption = p.group_get_members_info_list_param_option.as_ref().expect("option given");
    // Explicit 0 (None), not the 0xffffffff default of an absent flag.
    assert_eq!(o.group_member_get_info_option_info_flag, group_member_info_flag::NONE);
    assert_eq!(o.group_member_get_info_option_role_flag, group_member_role_flag::ALL);
    assert!(o.group_member_get_info_option_custom_array.is_empty());
    s.round_trip(&p, &[], &[]);
}

/// `TIMGroupModifyMemberInfo` input: flag 10 = MemberRole (0x2) | NameCard (0x8). The code sets
/// the role to `kTIMMemberRole_Admin` (300 in every header) but the printed sample shows 1; the
/// value is kept verbatim (no legacy mapping is documented).
fn modify_member_info_param(s: &Sample) {
    let p: GroupModifyMemberInfoParam = s.parse();
    assert_eq!(p.group_modify_member_info_group_id, "third group id");
    assert_eq!(p.group_modify_member_info_identifier, "user2");
    assert_eq!(
        p.group_modify_member_info_modify_flag,
        group_member_modify_flag::MEMBER_ROLE | group_member_modify_flag::NAME_CARD
    );
    assert_eq!(p.group_modify_member_info_member_role, 1);
    assert_eq!(p.group_modify_member_info_name_card, "change name card");
    assert_eq!(p.group_modify_member_info_shutup_time, 0);
    s.round_trip(&p, &[], &[]);
}

/// `TIMGroupGetPendencyList` input: from the beginning, no size hint.
fn pendency_option(s: &Sample) {
    let p: GroupPendencyOption = s.parse();
    assert_eq!(p, GroupPendencyOption { group_pendency_option_start_time: 0, group_pendency_option_max_limited: 0 });
    s.round_trip(&p, &[], &[]);
}

/// `TIMGroupHandlePendency` input: accept user2's unhandled join request to "four group id".
/// The pendency must round-trip unchanged, including the 13-digit `add_time`.
fn handle_pendency_param(s: &Sample) {
    let p: GroupHandlePendencyParam = s.parse();
    assert!(p.group_handle_pendency_param_is_accept);
    assert_eq!(p.group_handle_pendency_param_handle_msg, "I accept this pendency");
    let d = &p.group_handle_pendency_param_pendency;
    assert_eq!(d.group_pendency_group_id, "four group id");
    assert_eq!(d.group_pendency_form_identifier, "user2");
    assert_eq!(d.group_pendency_to_identifier, "user1");
    assert_eq!(d.group_pendency_add_time, 1551414487947);
    assert_eq!(d.group_pendency_apply_invite_msg, "Want Join Group, Thank you");
    assert_eq!(d.group_pendency_approval_msg, "");
    assert_eq!(d.group_pendency_form_user_defined_data, "");
    assert_eq!(d.group_pendency_to_user_defined_data, "");
    assert_eq!(d.group_pendency_pendency_type, group_pendency_type::REQUEST_JOIN);
    assert_eq!(d.group_pendency_handled, group_pendency_handle::NOT_HANDLE);
    assert_eq!(d.group_pendency_handle_result, group_pendency_handle_result::REFUSE);
    s.round_trip(&p, &[], &[]);
}
