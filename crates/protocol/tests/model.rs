//! Unit tests of the data-model rules (spec §1, §2, §8): unknown keys, key aliases, flag masks,
//! 64-bit ids, the element tagged union, and the exact key spelling of the message-operation and
//! group types.
use std::collections::BTreeSet;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

use confab_protocol::enums::{self, elem_type, group_type};
use confab_protocol::group::{
    CreateGroupParam, GetGroupInfoResult, GroupBaseInfo, GroupDeleteMemberParam, GroupDeleteMemberResult,
    GroupDetailInfo, GroupGetInfoOption, GroupGetMemberInfoListParam, GroupGetMemberInfoListResult,
    GroupHandlePendencyParam, GroupInviteMemberParam, GroupInviteMemberResult, GroupMemberGetInfoOption,
    GroupMemberInfo, GroupModifyInfoParam, GroupModifyMemberInfoParam, GroupPendency, GroupPendencyOption,
    GroupPendencyResult, GroupTipsElem, GROUP_INFO_FLAG_ALL,
};
use confab_protocol::{
    ConvInfo, CustomElem, Elem, FaceElem, GetC2CRecvMsgOptResult, Message, MessageSearchParam, MessageSearchResult,
    MessageSearchResultItem, MsgBatchSendParam, MsgBatchSendResult, MsgDeleteParam, MsgDownloadElemParam,
    MsgDownloadElemResult, MsgGetMsgListParam, SetConfig, UserConfig, UserProfile,
};

fn parse<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v.clone())
        .unwrap_or_else(|e| panic!("{v} does not parse as {}: {e}", std::any::type_name::<T>()))
}

fn to_obj<T: Serialize>(t: &T) -> Map<String, Value> {
    match serde_json::to_value(t).unwrap() {
        Value::Object(m) => m,
        other => panic!("expected an object, got {other}"),
    }
}

fn keys<T: Serialize>(t: &T) -> BTreeSet<String> {
    to_obj(t).into_iter().map(|(k, _)| k).collect()
}

fn set(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

// --- unknown keys ---------------------------------------------------------------------------------

#[test]
fn unknown_keys_are_ignored() {
    let m: Message = parse(json!({
        "message_conv_id": "bob",
        "message_id": "14400111550110000_1551446728_45598731",
        "message_risk_type_identified": [1, 2],
        "some_future_key": {"deep": [1, 2, 3]},
        "message_elem_array": [{"elem_type": 0, "text_elem_content": "hi", "text_elem_future": true}],
        "message_sender_profile": {"user_profile_identifier": "alice", "user_profile_future": 1}
    }));
    assert_eq!(m.message_conv_id, "bob");
    assert_eq!(m.message_elem_array, [Elem::text("hi")]);
    assert_eq!(m.message_sender_profile.as_ref().unwrap().user_profile_identifier, "alice");
    let out = serde_json::to_string(&m).unwrap();
    for k in
        ["message_id\"", "message_risk_type_identified", "some_future_key", "text_elem_future", "user_profile_future"]
    {
        assert!(!out.contains(k), "{k} leaked into {out}");
    }

    let c: ConvInfo = parse(json!({"conv_id": "g1", "conv_type": 2, "conv_mark_array": [1], "x": null}));
    assert_eq!((c.conv_id.as_str(), c.conv_type), ("g1", enums::conv_type::GROUP));
    let s: SetConfig =
        parse(json!({"set_config_log_level": 4, "set_config_http_proxy_info": {"http_proxy_info_ip": "h"}}));
    assert_eq!(s.set_config_log_level, Some(enums::log_level::INFO));
    let p: GroupPendency = parse(json!({"group_pendency_key": "k", "group_pendency_from_nick_name": "n"}));
    assert_eq!(p.group_pendency_key, "k");
    let d: GroupDeleteMemberParam =
        parse(json!({"group_delete_member_param_group_id": "g", "group_delete_member_param_duration": 60}));
    assert_eq!(d.group_delete_member_param_group_id, "g");
}

#[test]
fn absent_keys_take_defaults() {
    let m: Message = parse(json!({}));
    assert_eq!(m, Message::default());
    let p: GroupHandlePendencyParam = parse(json!({"group_handle_pendency_param_pendency": {}}));
    assert!(!p.group_handle_pendency_param_is_accept, "default = refuse");
    // Option info flags default to 0xffffffff (everything) when absent, but an explicit 0 stays 0.
    let o: GroupMemberGetInfoOption = parse(json!({}));
    assert_eq!(o.group_member_get_info_option_info_flag, 0xffff_ffff);
    assert_eq!(o.group_member_get_info_option_role_flag, enums::group_member_role_flag::ALL);
    let o: GroupMemberGetInfoOption = parse(json!({"group_member_get_info_option_info_flag": 0}));
    assert_eq!(o.group_member_get_info_option_info_flag, 0);
    let g: GroupGetInfoOption = parse(json!({"group_get_info_option_custom_array": ["k"]}));
    assert_eq!(g.group_get_info_option_info_flag, GROUP_INFO_FLAG_ALL);
    // Some old outputs put {} where an array is declared.
    let mi: GroupMemberInfo = parse(json!({"group_member_info_custom_info": {}}));
    assert!(mi.group_member_info_custom_info.is_empty());
    let di: GroupDetailInfo = parse(json!({"group_detial_info_custom_info": {}}));
    assert!(di.group_detial_info_custom_info.is_empty());
    let mm: GroupModifyMemberInfoParam = parse(json!({"group_modify_member_info_custom_info": {}}));
    assert!(mm.group_modify_member_info_custom_info.is_empty());
}

// --- aliases (spec §2) ------------------------------------------------------------------------------

/// `{alias: v}` and `{baseline: v}` parse to the same value, which emits `baseline` (never
/// `alias`) with value `v`.
fn alias_row<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug + Default>(
    baseline: &str,
    alias: &str,
    v: Value,
) {
    let via_alias: T = parse(json!({ alias: v.clone() }));
    let via_baseline: T = parse(json!({ baseline: v.clone() }));
    assert_eq!(via_alias, via_baseline, "{alias} vs {baseline}");
    assert_ne!(via_alias, T::default(), "{alias} was ignored");
    let out = to_obj(&via_alias);
    assert_eq!(out.get(baseline), Some(&v), "{baseline} not emitted with the aliased value");
    assert!(!out.contains_key(alias), "{alias} must not be emitted");
}

#[test]
fn aliases_of_the_spec_table_are_accepted() {
    alias_row::<Message>(
        "message_offlie_push_config",
        "message_offline_push_config",
        json!({"offline_push_config_desc": "d", "offline_push_config_ext": "e", "offline_push_config_flag": 1}),
    );
    alias_row::<MsgGetMsgListParam>("msg_getmsglist_param_is_remble", "msg_getmsglist_param_is_ramble", json!(true));
    alias_row::<MsgDeleteParam>("msg_delete_param_is_remble", "msg_delete_param_is_ramble", json!(true));
    alias_row::<MessageSearchParam>(
        "msg_search_param_send_indentifier_array",
        "msg_search_param_send_identifier_array",
        json!(["alice", "bob"]),
    );
    alias_row::<UserConfig>(
        "user_config_is_ingore_grouptips_unread",
        "user_config_is_ignore_grouptips_unread",
        json!(true),
    );
    alias_row::<GroupBaseInfo>("group_base_info_lastest_seq", "group_base_info_latest_seq", json!(42));
    alias_row::<GroupMemberInfo>("group_member_info_remark", "group_member_info_friend_remark", json!("pal"));
    alias_row::<GroupGetMemberInfoListResult>(
        "group_get_memeber_info_list_result_next_seq",
        "group_get_member_info_list_result_next_seq",
        json!(7),
    );
    alias_row::<GroupGetMemberInfoListResult>(
        "group_get_memeber_info_list_result_info_array",
        "group_get_member_info_list_result_info_array",
        json!([serde_json::to_value(GroupMemberInfo {
            group_member_info_identifier: "alice".into(),
            ..Default::default()
        })
        .unwrap()]),
    );
    // Legacy spellings the spec says to accept (not in the §2 table, same rule).
    alias_row::<UserProfile>(
        "user_profile_custom_string_array",
        "user_profile_item_custom_string_array",
        json!([{
            "user_profile_custom_string_info_key": "Tag_Profile_Custom_k",
            "user_profile_custom_string_info_value": "v"
        }]),
    );
    alias_row::<GroupGetInfoOption>("group_get_info_option_info_flag", "get_info_option_info_flag", json!(3));
    alias_row::<GroupGetInfoOption>("group_get_info_option_custom_array", "get_info_option_custom_array", json!(["k"]));
    alias_row::<GroupMemberGetInfoOption>(
        "group_member_get_info_option_info_flag",
        "get_info_option_info_flag",
        json!(1),
    );
    alias_row::<GroupMemberGetInfoOption>(
        "group_member_get_info_option_role_flag",
        "get_info_option_role_flag",
        json!(2),
    );
    alias_row::<GroupMemberGetInfoOption>(
        "group_member_get_info_option_custom_array",
        "get_info_option_custom_array",
        json!(["k"]),
    );
}

/// GroupDetailInfo: every baseline `group_detial_info_*` key (and `owener`) has its 7.x alias.
#[test]
fn group_detail_info_prefix_and_owner_aliases() {
    let rows: &[(&str, Value)] = &[
        ("group_id", json!("@TGS#1")),
        ("group_type", json!(group_type::AV_CHAT_ROOM)),
        ("group_name", json!("n")),
        ("notification", json!("no")),
        ("introduction", json!("in")),
        ("face_url", json!("f")),
        ("create_time", json!(1700000000)),
        ("info_seq", json!(3)),
        ("last_info_time", json!(1700000001)),
        ("next_msg_seq", json!(9)),
        ("last_msg_time", json!(1700000002)),
        ("member_num", json!(5)),
        ("max_member_num", json!(2000)),
        ("add_option", json!(1)),
        ("online_member_num", json!(2)),
        ("visible", json!(2)),
        ("searchable", json!(2)),
        ("is_shutup_all", json!(true)),
        (
            "custom_info",
            json!([{"group_info_custom_string_info_key": "k", "group_info_custom_string_info_value": "v"}]),
        ),
    ];
    for (suffix, v) in rows {
        alias_row::<GroupDetailInfo>(
            &format!("group_detial_info_{suffix}"),
            &format!("group_detail_info_{suffix}"),
            v.clone(),
        );
    }
    alias_row::<GroupDetailInfo>(
        "group_detial_info_owener_identifier",
        "group_detail_info_owner_identifier",
        json!("alice"),
    );
    // All at once, 7.x spelling in, baseline spelling out.
    let mut seven = Map::new();
    for (suffix, v) in rows {
        seven.insert(format!("group_detail_info_{suffix}"), v.clone());
    }
    seven.insert("group_detail_info_owner_identifier".into(), json!("alice"));
    let d: GroupDetailInfo = parse(Value::Object(seven));
    let out = to_obj(&d);
    assert!(out.keys().all(|k| k.starts_with("group_detial_info_")), "{out:?}");
    assert_eq!(out["group_detial_info_owener_identifier"], "alice");
    assert_eq!(out.len(), rows.len() + 1);
}

/// The @all sentinel row of the table is a value, modeled as two constants; both spellings pass
/// through `message_group_at_user_array` verbatim.
#[test]
fn at_all_sentinel_spellings() {
    assert_eq!(enums::AT_ALL, "__kImSDK_MesssageAtALL__");
    assert_eq!(enums::AT_ALL_7X, "__kImSDK_MessageAtALL__");
    let v = json!({"message_group_at_user_array": [enums::AT_ALL, enums::AT_ALL_7X, "bob"]});
    let m: Message = parse(v.clone());
    assert_eq!(m.message_group_at_user_array, [enums::AT_ALL, enums::AT_ALL_7X, "bob"]);
    assert_eq!(to_obj(&m)["message_group_at_user_array"], v["message_group_at_user_array"]);
}

// --- flag masks -------------------------------------------------------------------------------------

#[test]
fn modify_flag_owner_bit_accepts_both_signs_and_emits_unsigned() {
    for input in [json!(2147483648u64), json!(-2147483648i64)] {
        let p: GroupModifyInfoParam = parse(json!({
            "group_modify_info_param_group_id": "@TGS#2ABCDEFG",
            "group_modify_info_param_modify_flag": input,
            "group_modify_info_param_owner": "carol"
        }));
        assert_eq!(p.group_modify_info_param_modify_flag, 2147483648);
        assert_eq!(p.group_modify_info_param_modify_flag, enums::group_modify_info_flag::OWNER);
        let out = serde_json::to_string(&p).unwrap();
        assert!(out.contains("\"group_modify_info_param_modify_flag\":2147483648"), "{out}");
        assert!(!out.contains("-2147483648"), "{out}");
    }
    // Other negative ints are reinterpreted as u32 too (C++ `int` bit patterns).
    let p: GroupModifyInfoParam = parse(json!({"group_modify_info_param_modify_flag": -1}));
    assert_eq!(p.group_modify_info_param_modify_flag, u32::MAX);
    // Out of the 32-bit range, or not an integer: rejected.
    for bad in [json!(4294967296u64), json!(-2147483649i64), json!("3"), json!(1.5)] {
        let r = serde_json::from_value::<GroupModifyInfoParam>(json!({"group_modify_info_param_modify_flag": bad}));
        assert!(r.is_err(), "{bad} accepted");
    }
    // Same rule for the member modify flag.
    let m: GroupModifyMemberInfoParam = parse(json!({"group_modify_member_info_modify_flag": -2147483648i64}));
    assert_eq!(m.group_modify_member_info_modify_flag, 0x8000_0000);
    assert_eq!(to_obj(&m)["group_modify_member_info_modify_flag"], json!(2147483648u64));
}

// --- 64-bit ids -------------------------------------------------------------------------------------

#[test]
fn u64_ids_round_trip_exactly() {
    let text = concat!(
        r#"{"message_unique_id":18446744073709551615,"#,
        r#""message_rand":9007199254740993,"message_seq":18446744073709551614}"#
    );
    let m: Message = serde_json::from_str(text).unwrap();
    assert_eq!(m.message_unique_id, u64::MAX);
    assert_eq!(m.message_unique_id, 18446744073709551615);
    assert_eq!(m.message_rand, (1u64 << 53) + 1, "2^53 + 1 is not representable as f64");
    assert_eq!(m.message_seq, u64::MAX - 1);
    let out = serde_json::to_string(&m).unwrap();
    assert!(out.contains("\"message_unique_id\":18446744073709551615"), "{out}");
    assert!(out.contains("\"message_rand\":9007199254740993"), "{out}");
    let back: Message = serde_json::from_str(&out).unwrap();
    assert_eq!(back, m);

    // Pinned conversations: conv_active_time has bit 62 set.
    let c: ConvInfo = serde_json::from_str(r#"{"conv_active_time":4611686018427387909}"#).unwrap();
    assert_eq!(c.conv_active_time, (1u64 << 62) + 5);
    assert!(serde_json::to_string(&c).unwrap().contains("\"conv_active_time\":4611686018427387909"));
    let l: confab_protocol::MsgLocator =
        serde_json::from_str(r#"{"message_locator_unique_id":18446744073709551615}"#).unwrap();
    assert_eq!(l.message_locator_unique_id, u64::MAX);
}

// --- elements ---------------------------------------------------------------------------------------

#[test]
fn unknown_elem_type_is_kept_verbatim() {
    let v = json!({
        "elem_type": 99,
        "future_elem_text": "x",
        "future_elem_nested": {"a": [1, 2, {"b": null}]},
        "future_elem_big": 18446744073709551615u64
    });
    let e: Elem = parse(v.clone());
    assert!(matches!(e, Elem::Unknown(_)), "{e:?}");
    assert_eq!(e.elem_type(), 99);
    assert_eq!(serde_json::to_value(&e).unwrap(), v);
    // Also inside a message, and through text.
    let m: Message = parse(json!({"message_elem_array": [v.clone()]}));
    let text = serde_json::to_string(&m).unwrap();
    let back: Message = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_value(&back.message_elem_array[0]).unwrap(), v);
    // Negative values (kTIMElem_Invalid = -1) are unknown elements too.
    let inv: Elem = parse(json!({"elem_type": -1}));
    assert_eq!(inv.elem_type(), elem_type::INVALID);
    assert_eq!(serde_json::to_value(&inv).unwrap(), json!({"elem_type": -1}));
    // elem_type is required and must be an integer.
    assert!(serde_json::from_value::<Elem>(json!({"text_elem_content": "x"})).is_err());
    assert!(serde_json::from_value::<Elem>(json!({"elem_type": "0", "text_elem_content": "x"})).is_err());
}

#[test]
fn elem_type_is_serialized_as_an_integer() {
    let elems: Vec<(Value, i32)> = vec![
        (json!({"elem_type": 0, "text_elem_content": "t"}), elem_type::TEXT),
        (json!({"elem_type": 1, "image_elem_orig_path": "/a.png", "image_elem_level": 1}), elem_type::IMAGE),
        (json!({"elem_type": 2, "sound_elem_file_path": "/a.amr", "sound_elem_file_time": 3}), elem_type::SOUND),
        (json!({"elem_type": 3, "custom_elem_data": "7b7d"}), elem_type::CUSTOM),
        (json!({"elem_type": 4, "file_elem_file_path": "/a.txt"}), elem_type::FILE),
        (json!({"elem_type": 5, "group_tips_elem_tip_type": 1}), elem_type::GROUP_TIPS),
        (json!({"elem_type": 6, "face_elem_index": 10}), elem_type::FACE),
        (
            json!({"elem_type": 7, "location_elem_longitude": 113.9, "location_elem_latitude": 22.5}),
            elem_type::LOCATION,
        ),
        (json!({"elem_type": 8, "group_report_elem_report_type": 5}), elem_type::GROUP_REPORT),
        (json!({"elem_type": 9, "video_elem_video_type": "mp4"}), elem_type::VIDEO),
        (json!({"elem_type": 10, "friend_change_elem_change_type": 1}), elem_type::FRIEND_CHANGE),
        (json!({"elem_type": 11, "profile_change_elem_from_identifier": "bob"}), elem_type::PROFILE_CHANGE),
        (json!({"elem_type": 12, "merge_elem_title": "t", "merge_elem_compatible_text": "c"}), elem_type::MERGE),
    ];
    for (v, t) in elems {
        let e: Elem = parse(v.clone());
        assert_eq!(e.elem_type(), t);
        let out = serde_json::to_value(&e).unwrap();
        let et = &out["elem_type"];
        assert!(et.is_i64() && et.as_i64() == Some(i64::from(t)), "{t}: elem_type emitted as {et}");
        // The element's own keys survive (raw friend/profile change maps keep 7.x spellings verbatim).
        for (k, val) in v.as_object().unwrap() {
            assert_eq!(out.get(k), Some(val), "{t}: {k}");
        }
        let text = serde_json::to_string(&e).unwrap();
        assert!(text.contains(&format!("\"elem_type\":{t}")), "{text}");
    }
    // Built in Rust, not parsed.
    assert_eq!(serde_json::to_value(Elem::text("hi")).unwrap(), json!({"elem_type": 0, "text_elem_content": "hi"}));
}

#[test]
fn element_order_is_preserved() {
    let v = json!({"message_elem_array": [
        {"elem_type": 0, "text_elem_content": "first"},
        {"elem_type": 3, "custom_elem_data": "c"},
        {"elem_type": 6, "face_elem_index": 1},
        {"elem_type": 99, "x": 1},
        {"elem_type": 0, "text_elem_content": "last"}
    ]});
    let m: Message = parse(v.clone());
    let types: Vec<i32> = m.message_elem_array.iter().map(Elem::elem_type).collect();
    assert_eq!(types, [0, 3, 6, 99, 0]);
    assert_eq!(m.message_elem_array[0], Elem::text("first"));
    assert_eq!(m.message_elem_array[4], Elem::text("last"));
    assert!(
        matches!(&m.message_elem_array[1], Elem::Custom(CustomElem { custom_elem_data, .. }) if custom_elem_data == "c")
    );
    assert!(matches!(&m.message_elem_array[2], Elem::Face(FaceElem { face_elem_index: 1, .. })));
    let out = to_obj(&m);
    let out_types: Vec<i64> =
        out["message_elem_array"].as_array().unwrap().iter().map(|e| e["elem_type"].as_i64().unwrap()).collect();
    assert_eq!(out_types, [0, 3, 6, 99, 0]);
    // Built in Rust: order kept too.
    let built = Message::new(vec![Elem::text("a"), Elem::text("b"), Elem::text("c")]);
    let arr = to_obj(&built)["message_elem_array"].clone();
    let texts: Vec<&str> = arr.as_array().unwrap().iter().map(|e| e["text_elem_content"].as_str().unwrap()).collect();
    assert_eq!(texts, ["a", "b", "c"]);
}

// --- legacy group type strings ------------------------------------------------------------------------

#[test]
fn group_type_strings_become_integers() {
    let names = [
        ("Public", 0),
        ("Private", 1),
        ("Work", 1),
        ("ChatRoom", 2),
        ("Meeting", 2),
        ("BChatRoom", 3),
        ("AVChatRoom", 4),
        ("Community", 5),
    ];
    for (name, n) in names {
        let b: GroupBaseInfo = parse(json!({"group_base_info_group_type": name}));
        assert_eq!(b.group_base_info_group_type, n, "{name}");
        assert_eq!(to_obj(&b)["group_base_info_group_type"], json!(n));
        let d: GroupDetailInfo = parse(json!({"group_detail_info_group_type": name}));
        assert_eq!(d.group_detial_info_group_type, n, "{name}");
        assert_eq!(to_obj(&d)["group_detial_info_group_type"], json!(n));
        let c: CreateGroupParam = parse(json!({"create_group_param_group_type": name}));
        assert_eq!(c.create_group_param_group_type, n, "{name}");
    }
    let b: GroupBaseInfo = parse(json!({"group_base_info_group_type": "Public"}));
    assert_eq!(b.group_base_info_group_type, group_type::PUBLIC);
    assert!(serde_json::from_value::<GroupBaseInfo>(json!({"group_base_info_group_type": "Nope"})).is_err());
}

// --- spec §9 skeletons ----------------------------------------------------------------------------------

#[test]
fn spec_skeletons_parse() {
    let sent: Message = parse(json!({
        "message_msg_id": "144115200000000001-1700000000-12345",
        "message_conv_id": "bob", "message_conv_type": 1, "message_sender": "alice",
        "message_client_time": 1700000000, "message_server_time": 1700000001,
        "message_seq": 42, "message_rand": 12345, "message_status": 2,
        "message_is_from_self": true, "message_is_read": true, "message_is_peer_read": false,
        "message_priority": 1, "message_elem_array": [{"elem_type": 0, "text_elem_content": "hi"}]
    }));
    assert_eq!(sent.message_status, enums::msg_status::SEND_SUCC);
    assert_eq!(sent.message_priority, enums::msg_priority::NORMAL);
    assert_eq!(sent.message_conv_type, enums::conv_type::C2C);

    let tips: Elem = parse(json!({
        "elem_type": 5,
        "group_tips_elem_tip_type": 1,
        "group_tips_elem_group_id": "@TGS#2ABCDEFG",
        "group_tips_elem_op_user": "alice",
        "group_tips_elem_user_array": ["carol"],
        "group_tips_elem_member_num": 3,
        "group_tips_elem_group_change_info_array": [],
        "group_tips_elem_member_change_info_array": []
    }));
    let Elem::GroupTips(t) = tips else { panic!("not group tips") };
    let t: &GroupTipsElem = &t;
    assert_eq!(t.group_tips_elem_tip_type, enums::group_tip_type::INVITE);
    assert_eq!(t.group_tips_elem_user_array, ["carol"]);
    assert_eq!(t.group_tips_elem_member_num, 3);
}

// --- new types: exact key spelling ------------------------------------------------------------------------

#[test]
fn message_operation_types_emit_the_baseline_keys() {
    assert_eq!(
        keys(&MsgBatchSendParam::default()),
        set(&["msg_batch_send_param_identifier_array", "msg_batch_send_param_msg"])
    );
    let r = MsgBatchSendResult { msg_batch_send_result_msg: Some(Message::default()), ..Default::default() };
    assert_eq!(
        keys(&r),
        set(&[
            "msg_batch_send_result_identifier",
            "msg_batch_send_result_code",
            "msg_batch_send_result_desc",
            "msg_batch_send_result_msg"
        ])
    );
    assert_eq!(
        keys(&MsgDownloadElemParam::default()),
        set(&[
            "msg_download_elem_param_flag",
            "msg_download_elem_param_type",
            "msg_download_elem_param_id",
            "msg_download_elem_param_business_id",
            "msg_download_elem_param_url"
        ])
    );
    assert_eq!(
        keys(&MsgDownloadElemResult::default()),
        set(&["msg_download_elem_result_current_size", "msg_download_elem_result_total_size"])
    );
    assert_eq!(
        keys(&MessageSearchParam::default()),
        set(&[
            "msg_search_param_keyword_array",
            "msg_search_param_message_type_array",
            "msg_search_param_conv_id",
            "msg_search_param_conv_type",
            "msg_search_param_search_time_position",
            "msg_search_param_search_time_period",
            "msg_search_param_page_index",
            "msg_search_param_page_size",
            "msg_search_param_keyword_list_match_type",
            "msg_search_param_send_indentifier_array"
        ])
    );
    assert_eq!(
        keys(&MessageSearchResultItem::default()),
        set(&[
            "msg_search_result_item_conv_id",
            "msg_search_result_item_conv_type",
            "msg_search_result_item_total_message_count",
            "msg_search_result_item_message_array"
        ])
    );
    assert_eq!(
        keys(&MessageSearchResult::default()),
        set(&["msg_search_result_total_count", "msg_search_result_item_array"])
    );
    assert_eq!(
        keys(&GetC2CRecvMsgOptResult::default()),
        set(&["msg_recv_msg_opt_result_identifier", "msg_recv_msg_opt_result_opt"])
    );
}

#[test]
fn group_types_emit_the_baseline_keys() {
    assert_eq!(
        keys(&GroupGetInfoOption::default()),
        set(&["group_get_info_option_info_flag", "group_get_info_option_custom_array"])
    );
    assert_eq!(
        keys(&GroupMemberGetInfoOption::default()),
        set(&[
            "group_member_get_info_option_info_flag",
            "group_member_get_info_option_role_flag",
            "group_member_get_info_option_custom_array"
        ])
    );
    assert_eq!(
        keys(&GroupInviteMemberParam::default()),
        set(&[
            "group_invite_member_param_group_id",
            "group_invite_member_param_identifier_array",
            "group_invite_member_param_user_data"
        ])
    );
    assert_eq!(
        keys(&GroupInviteMemberResult::default()),
        set(&["group_invite_member_result_identifier", "group_invite_member_result_result"])
    );
    assert_eq!(
        keys(&GroupDeleteMemberParam::default()),
        set(&[
            "group_delete_member_param_group_id",
            "group_delete_member_param_identifier_array",
            "group_delete_member_param_user_data"
        ])
    );
    assert_eq!(
        keys(&GroupDeleteMemberResult::default()),
        set(&["group_delete_member_result_identifier", "group_delete_member_result_result"])
    );
    let g = GetGroupInfoResult { get_groups_info_result_info: Some(GroupDetailInfo::default()), ..Default::default() };
    assert_eq!(
        keys(&g),
        set(&["get_groups_info_result_code", "get_groups_info_result_desc", "get_groups_info_result_info"])
    );
    let p = GroupGetMemberInfoListParam {
        group_get_members_info_list_param_option: Some(GroupMemberGetInfoOption::default()),
        ..Default::default()
    };
    assert_eq!(
        keys(&p),
        set(&[
            "group_get_members_info_list_param_group_id",
            "group_get_members_info_list_param_identifier_array",
            "group_get_members_info_list_param_option",
            "group_get_members_info_list_param_next_seq"
        ])
    );
    assert_eq!(
        keys(&GroupGetMemberInfoListResult::default()),
        set(&["group_get_memeber_info_list_result_next_seq", "group_get_memeber_info_list_result_info_array"])
    );
    assert_eq!(
        keys(&GroupModifyMemberInfoParam::default()),
        set(&[
            "group_modify_member_info_group_id",
            "group_modify_member_info_identifier",
            "group_modify_member_info_modify_flag",
            "group_modify_member_info_msg_flag",
            "group_modify_member_info_member_role",
            "group_modify_member_info_shutup_time",
            "group_modify_member_info_name_card",
            "group_modify_member_info_custom_info"
        ])
    );
    assert_eq!(
        keys(&GroupPendencyOption::default()),
        set(&["group_pendency_option_start_time", "group_pendency_option_max_limited"])
    );
    assert_eq!(
        keys(&GroupPendency::default()),
        set(&[
            "group_pendency_group_id",
            "group_pendency_form_identifier",
            "group_pendency_to_identifier",
            "group_pendency_add_time",
            "group_pendency_pendency_type",
            "group_pendency_handled",
            "group_pendency_handle_result",
            "group_pendency_apply_invite_msg",
            "group_pendency_form_user_defined_data",
            "group_pendency_approval_msg",
            "group_pendency_to_user_defined_data",
            "group_pendency_key",
            "group_pendency_authentication",
            "group_pendency_self_identifier"
        ])
    );
    assert_eq!(
        keys(&GroupPendencyResult::default()),
        set(&[
            "group_pendency_result_next_start_time",
            "group_pendency_result_read_time_seq",
            "group_pendency_result_unread_num",
            "group_pendency_result_pendency_array"
        ])
    );
    assert_eq!(
        keys(&GroupHandlePendencyParam::default()),
        set(&[
            "group_handle_pendency_param_is_accept",
            "group_handle_pendency_param_handle_msg",
            "group_handle_pendency_param_pendency"
        ])
    );
}

/// A pendency from the list must go back to `TIMGroupHandlePendency` unchanged, opaque
/// signatures and the 13-digit time included.
#[test]
fn pendency_round_trips_unchanged() {
    let v = json!({
        "group_pendency_group_id": "@TGS#2ABCDEFG",
        "group_pendency_form_identifier": "dave",
        "group_pendency_to_identifier": "alice",
        "group_pendency_add_time": 1551414487947u64,
        "group_pendency_pendency_type": enums::group_pendency_type::REQUEST_JOIN,
        "group_pendency_handled": enums::group_pendency_handle::NOT_HANDLE,
        "group_pendency_handle_result": enums::group_pendency_handle_result::REFUSE,
        "group_pendency_apply_invite_msg": "let me in",
        "group_pendency_form_user_defined_data": "",
        "group_pendency_approval_msg": "",
        "group_pendency_to_user_defined_data": "",
        "group_pendency_key": "opaque-key==",
        "group_pendency_authentication": "opaque+auth/==",
        "group_pendency_self_identifier": "alice"
    });
    let r: GroupPendencyResult = parse(json!({
        "group_pendency_result_next_start_time": 0,
        "group_pendency_result_read_time_seq": 1700000000,
        "group_pendency_result_unread_num": 1,
        "group_pendency_result_pendency_array": [v.clone()]
    }));
    assert_eq!(r.group_pendency_result_unread_num, 1);
    let handle = GroupHandlePendencyParam {
        group_handle_pendency_param_is_accept: true,
        group_handle_pendency_param_handle_msg: "welcome".into(),
        group_handle_pendency_param_pendency: r.group_pendency_result_pendency_array[0].clone(),
    };
    assert_eq!(to_obj(&handle)["group_handle_pendency_param_pendency"], v);
}

#[test]
fn invite_and_delete_results_parse() {
    let r: Vec<GroupInviteMemberResult> = parse(json!([
        {"group_invite_member_result_identifier": "bob", "group_invite_member_result_result": 1},
        {"group_invite_member_result_identifier": "carol", "group_invite_member_result_result": 2}
    ]));
    assert_eq!(r[0].group_invite_member_result_result, enums::handle_group_member_result::HANDLED_SUC);
    assert_eq!(r[1].group_invite_member_result_result, enums::handle_group_member_result::INCLUDED);
    let d: Vec<GroupDeleteMemberResult> =
        parse(json!([{"group_delete_member_result_identifier": "bob", "group_delete_member_result_result": 0}]));
    assert_eq!(d[0].group_delete_member_result_result, enums::handle_group_member_result::HANDLED_ERR);
    let g: Vec<GetGroupInfoResult> = parse(json!([
        {"get_groups_info_result_code": 10010, "get_groups_info_result_desc": "group not found"},
        {"get_groups_info_result_code": 0, "get_groups_info_result_desc": "",
         "get_groups_info_result_info": {"group_detial_info_group_id": "@TGS#1", "group_detial_info_group_type": 0}}
    ]));
    assert!(g[0].get_groups_info_result_info.is_none());
    assert!(!to_obj(&g[0]).contains_key("get_groups_info_result_info"));
    assert_eq!(g[1].get_groups_info_result_info.as_ref().unwrap().group_detial_info_group_id, "@TGS#1");
    let b: MsgBatchSendResult = parse(json!({
        "msg_batch_send_result_identifier": "user2", "msg_batch_send_result_code": 0,
        "msg_batch_send_result_desc": "", "msg_batch_send_result_msg": {"message_status": 2}
    }));
    assert_eq!(b.msg_batch_send_result_msg.unwrap().message_status, enums::msg_status::SEND_SUCC);
}
