//! Groups and group administration (issue 3): every group call of seed 004 through real SDK
//! clients and a real server, the rules of each group type, tips, reports and pendencies.
use confab_core::SdkEvent;
use confab_protocol::enums::{
    elem_type, group_pendency_handle, group_report_type as report, group_tip_change_flag as change,
    group_tip_type as tip, SYSTEM_SENDER,
};
use confab_protocol::group::{GroupReportElem, GroupTipsElem};
use confab_protocol::{Elem, Message};
use confab_tests::{eventually, text_of, TestClient, TestServer};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};

const PUBLIC: u32 = 0;
const PRIVATE: u32 = 1;
const CHAT_ROOM: u32 = 2;
const AV: u32 = 4;
const COMMUNITY: u32 = 5;

/// Make sure accounts exist on the server (a raw login each) without keeping clients around.
async fn ensure_users(srv: &TestServer, users: &[&str]) {
    for u in users {
        let (mut ws, _) = tokio_tungstenite::connect_async(srv.url()).await.unwrap();
        let login = json!({"id": 1, "type": "login", "sdk_app_id": srv.identity.sdk_app_id, "user_id": u,
                           "user_sig": srv.usersig(u), "platform": 5, "instance_id": "raw"});
        ws.send(tokio_tungstenite::tungstenite::Message::Text(login.to_string().into())).await.unwrap();
        let reply = ws.next().await.unwrap().unwrap();
        assert!(reply.to_text().unwrap().contains("\"code\":0"), "{reply:?}");
        let _ = ws.close(None).await;
    }
}

fn member_array(members: &[(&str, u32)]) -> Vec<Value> {
    members
        .iter()
        .map(|(u, r)| json!({"group_member_info_identifier": u, "group_member_info_member_role": r}))
        .collect()
}

/// Create a group of type `t` with initial `(member, role)`s; `extra` adds create params.
async fn create_group(c: &TestClient, t: u32, members: &[(&str, u32)], extra: Value) -> String {
    let mut p = json!({
        "create_group_param_group_name": "a group",
        "create_group_param_group_type": t,
        "create_group_param_group_member_array": member_array(members),
    });
    if let (Some(o), Some(x)) = (p.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            o.insert(k.clone(), v.clone());
        }
    }
    let v = c.ok("TIMGroupCreate", json!({ "json_group_create_param": p })).await;
    v["create_group_result_groupid"].as_str().unwrap().to_string()
}

/// Every member of a group (all pages), as TIMGroupGetMemberInfoList returns them.
async fn members(c: &TestClient, gid: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = 0u64;
    loop {
        let v = c
            .ok(
                "TIMGroupGetMemberInfoList",
                json!({"json_group_getmeminfos_param": {
                    "group_get_members_info_list_param_group_id": gid,
                    "group_get_members_info_list_param_next_seq": next}}),
            )
            .await;
        out.extend(v["group_get_memeber_info_list_result_info_array"].as_array().unwrap().iter().cloned());
        next = v["group_get_memeber_info_list_result_next_seq"].as_u64().unwrap();
        if next == 0 {
            return out;
        }
    }
}

fn role_in(list: &[Value], user: &str) -> Option<u64> {
    list.iter()
        .find(|m| m["group_member_info_identifier"] == user)
        .map(|m| m["group_member_info_member_role"].as_u64().unwrap())
}

async fn info(c: &TestClient, gid: &str) -> Value {
    let v = c.ok("TIMGroupGetGroupInfoList", json!({ "json_group_getinfo_param": [gid] })).await;
    v[0].clone()
}

fn send_params(gid: &str, text: &str) -> Value {
    json!({"conv_id": gid, "conv_type": 2,
           "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": text}]}})
}

/// The texts of the next `n` text messages (group tips, also new messages, are skipped).
async fn recv_chat(c: &TestClient, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < n {
        let is_text = |m: &Message| m.message_elem_array.iter().any(|e| matches!(e, Elem::Text(_)));
        if let SdkEvent::RecvNewMsg(msgs) =
            c.wait_for("text messages", |e| matches!(e, SdkEvent::RecvNewMsg(m) if m.iter().any(is_text))).await
        {
            out.extend(msgs.iter().filter(|m| is_text(m)).map(|m| text_of(&serde_json::to_value(m).unwrap())));
        }
    }
    out
}

/// Wait for a `TIMGroupTipsEventCallback` matching `pred`.
async fn wait_tip(c: &TestClient, what: &str, pred: impl Fn(&GroupTipsElem) -> bool) -> GroupTipsElem {
    match c.wait_for(what, |e| matches!(e, SdkEvent::GroupTips(t) if pred(t))).await {
        SdkEvent::GroupTips(t) => t,
        _ => unreachable!(),
    }
}

fn report_of(m: &Message) -> Option<&GroupReportElem> {
    m.message_elem_array.iter().find_map(|e| match e {
        Elem::GroupReport(r) => Some(r.as_ref()),
        _ => None,
    })
}

/// Wait for a new system message holding a group report of `kind` about `gid`; checks that it
/// has the system-message shape (conv type 3, conv id "", sender @TIM#SYSTEM, elem_type 8).
async fn wait_report(c: &TestClient, kind: u32, gid: &str) -> GroupReportElem {
    let pick = |msgs: &Vec<Message>| {
        msgs.iter()
            .find(|m| {
                report_of(m)
                    .is_some_and(|r| r.group_report_elem_report_type == kind && r.group_report_elem_group_id == gid)
            })
            .cloned()
    };
    let e = c
        .wait_for(
            &format!("group report {kind} about {gid}"),
            |e| matches!(e, SdkEvent::RecvNewMsg(m) if pick(m).is_some()),
        )
        .await;
    let SdkEvent::RecvNewMsg(msgs) = e else { unreachable!() };
    let m = pick(&msgs).unwrap();
    assert_eq!(m.message_conv_type, 3, "group reports arrive in the system conversation");
    assert_eq!(m.message_conv_id, "");
    assert_eq!(m.message_sender, SYSTEM_SENDER);
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(v["message_elem_array"][0]["elem_type"], elem_type::GROUP_REPORT);
    report_of(&m).unwrap().clone()
}

// ---------------------------------------------------------------------------------------------
// The permission table: every group type × every role × every operation.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Owner,
    Admin,
    Member,
    Outsider,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Send,
    MemberList,
    Info,
    Invite,
    KickMember,
    KickAdmin,
    Rename,
    Introduction,
    MuteAll,
    SetAdmin,
    MuteMember,
    NameCardOfMember,
    Transfer,
    Quit,
    Dismiss,
    Join,
}

const OPS: [Op; 16] = [
    Op::Send,
    Op::MemberList,
    Op::Info,
    Op::Invite,
    Op::KickMember,
    Op::KickAdmin,
    Op::Rename,
    Op::Introduction,
    Op::MuteAll,
    Op::SetAdmin,
    Op::MuteMember,
    Op::NameCardOfMember,
    Op::Transfer,
    Op::Quit,
    Op::Dismiss,
    Op::Join,
];

/// The rules (seed 004, spec §7), as codes: 0 = allowed.
fn expected(t: u32, role: Role, op: Op) -> i32 {
    let member = role != Role::Outsider;
    let (av, private) = (t == AV, t == PRIVATE);
    let admin_up = matches!(role, Role::Owner | Role::Admin);
    let yes_if = |ok: bool| if ok { 0 } else { 10007 };
    match op {
        Op::Join if member => 10013,
        Op::Join => yes_if(!private),
        Op::Info if !member => yes_if(!private),
        Op::MemberList if !member => yes_if(av),
        _ if !member => 10007,
        Op::Send | Op::MemberList | Op::Info => 0,
        Op::Invite => yes_if(!av),
        Op::KickMember if private => yes_if(role == Role::Owner),
        Op::KickMember => yes_if(!av && admin_up),
        Op::KickAdmin => yes_if(!av && role == Role::Owner),
        Op::Rename | Op::Introduction => yes_if(private || admin_up),
        Op::MuteAll | Op::MuteMember | Op::NameCardOfMember => yes_if(admin_up),
        Op::SetAdmin | Op::Transfer => yes_if(!av && role == Role::Owner),
        Op::Quit if role == Role::Owner && !private => 10009,
        Op::Quit => 0,
        Op::Dismiss => yes_if(!private && role == Role::Owner),
    }
}

/// A fresh group of type `t` for one cell of a permission table: owner o (the creator),
/// admins a and b, members m and t.
async fn table_group(o: &TestClient, t: u32) -> String {
    create_group(o, t, &[("a", 300), ("b", 300), ("m", 200), ("t", 200)], json!({"create_group_param_add_option": 2}))
        .await
}

/// Do `op` as `c` on group `gid` (members: owner o, admins a and b, members m and t; outsider
/// x; y exists and is in no group). Returns the code (for the info list, the group's own code).
async fn perform(c: &TestClient, op: Op, gid: &str, t: u32) -> i32 {
    let modify = |flag: u64, extra: Value| {
        let mut p = json!({"group_modify_info_param_group_id": gid, "group_modify_info_param_modify_flag": flag});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        json!({ "json_group_modifyinfo_param": p })
    };
    let member = |who: &str, flag: u64, extra: Value| {
        let mut p = json!({"group_modify_member_info_group_id": gid, "group_modify_member_info_identifier": who,
                           "group_modify_member_info_modify_flag": flag});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        json!({ "json_group_modifymeminfo_param": p })
    };
    let kick = |who: &str| {
        json!({"json_group_delete_param": {"group_delete_member_param_group_id": gid,
                                           "group_delete_member_param_identifier_array": [who]}})
    };
    let r = match op {
        Op::Send => c.call("TIMMsgSendMessage", send_params(gid, "hello")).await,
        Op::MemberList => {
            c.call(
                "TIMGroupGetMemberInfoList",
                json!({"json_group_getmeminfos_param": {"group_get_members_info_list_param_group_id": gid}}),
            )
            .await
        }
        Op::Info => {
            let r = c.call("TIMGroupGetGroupInfoList", json!({ "json_group_getinfo_param": [gid] })).await;
            assert_eq!(r.code, 0, "the info list itself succeeds");
            return r.json[0]["get_groups_info_result_code"].as_i64().unwrap() as i32;
        }
        Op::Invite => {
            let r = c
                .call(
                    "TIMGroupInviteMember",
                    json!({"json_group_invite_param": {"group_invite_member_param_group_id": gid,
                                                       "group_invite_member_param_identifier_array": ["y"]}}),
                )
                .await;
            if r.code == 0 {
                let want = if t == PRIVATE { 1 } else { 3 };
                assert_eq!(r.json[0]["group_invite_member_result_result"], want, "invite result in type {t}");
            }
            r
        }
        Op::KickMember => c.call("TIMGroupDeleteMember", kick("t")).await,
        Op::KickAdmin => c.call("TIMGroupDeleteMember", kick("b")).await,
        Op::Rename => {
            c.call("TIMGroupModifyGroupInfo", modify(0x1, json!({"group_modify_info_param_group_name": "new"}))).await
        }
        Op::Introduction => {
            c.call("TIMGroupModifyGroupInfo", modify(0x4, json!({"group_modify_info_param_introduction": "intro"})))
                .await
        }
        Op::MuteAll => {
            c.call("TIMGroupModifyGroupInfo", modify(0x100, json!({"group_modify_info_param_is_shutup_all": true})))
                .await
        }
        Op::SetAdmin => {
            c.call("TIMGroupModifyMemberInfo", member("t", 0x2, json!({"group_modify_member_info_member_role": 300})))
                .await
        }
        Op::MuteMember => {
            c.call("TIMGroupModifyMemberInfo", member("t", 0x4, json!({"group_modify_member_info_shutup_time": 60})))
                .await
        }
        Op::NameCardOfMember => {
            c.call("TIMGroupModifyMemberInfo", member("t", 0x8, json!({"group_modify_member_info_name_card": "tee"})))
                .await
        }
        Op::Transfer => {
            c.call("TIMGroupModifyGroupInfo", modify(2147483648, json!({"group_modify_info_param_owner": "t"}))).await
        }
        Op::Quit => c.call("TIMGroupQuit", json!({ "group_id": gid })).await,
        Op::Dismiss => c.call("TIMGroupDelete", json!({ "group_id": gid })).await,
        Op::Join => c.call("TIMGroupJoin", json!({"group_id": gid, "hello_msg": "hi"})).await,
    };
    r.code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_permission_table_every_type_role_and_operation() {
    let srv = TestServer::start().await;
    ensure_users(&srv, &["b", "t", "y"]).await;
    let o = srv.client("o").await;
    let a = srv.client("a").await;
    let m = srv.client("m").await;
    let x = srv.client("x").await;
    let actors = [(Role::Owner, &o), (Role::Admin, &a), (Role::Member, &m), (Role::Outsider, &x)];
    let mut mismatches = Vec::new();
    let mut cells = 0;
    for t in [PUBLIC, PRIVATE, CHAT_ROOM, AV, COMMUNITY] {
        for (role, c) in actors {
            for op in OPS {
                // A fresh group per cell, so that no operation depends on an earlier one.
                let gid = table_group(&o, t).await;
                let got = perform(c, op, &gid, t).await;
                let want = expected(t, role, op);
                cells += 1;
                if got != want {
                    mismatches.push(format!("type {t} {role:?} {op:?}: got {got}, want {want}"));
                }
            }
        }
    }
    assert_eq!(cells, 5 * 4 * OPS.len());
    assert!(mismatches.is_empty(), "permission table mismatches:\n{}", mismatches.join("\n"));
}

// The permission table by target: an operation on a member depends on the actor's role and on
// the target's (R9): admins act only on members below them, nobody but the owner changes roles,
// a member changes their own name card and receive option only.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    Owner,
    Admin,
    Member,
    Myself,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum MemberOp {
    Kick,
    Mute,
    NameCard,
    SetRole,
    RecvOption,
}

/// A removal the call answered with code 0 but whose per-member result is a failure.
const NOT_REMOVED: i32 = -1;

/// The rules (seed 004, spec §7) by actor and target, as codes: 0 = allowed.
fn expected_on(t: u32, actor: Role, target: Target, op: MemberOp) -> i32 {
    let rank = |r: Role| match r {
        Role::Owner => 3,
        Role::Admin => 2,
        Role::Member => 1,
        Role::Outsider => 0,
    };
    let target_role = match target {
        Target::Owner => Role::Owner,
        Target::Admin => Role::Admin,
        Target::Member => Role::Member,
        Target::Myself => actor,
    };
    let myself = target == Target::Myself;
    let above = rank(actor) >= 2 && rank(target_role) < rank(actor);
    let yes_if = |ok: bool| if ok { 0 } else { 10007 };
    match op {
        MemberOp::Kick if t == AV => 10007,
        MemberOp::Kick if t == PRIVATE && actor != Role::Owner => 10007,
        MemberOp::Kick if rank(actor) < 2 => 10007,
        // The call succeeds; its result for oneself says not removed (quit instead).
        MemberOp::Kick if myself => NOT_REMOVED,
        MemberOp::Kick => yes_if(above),
        MemberOp::Mute => yes_if(above),
        MemberOp::NameCard => yes_if(myself || above),
        MemberOp::SetRole if t == AV || actor != Role::Owner => 10007,
        // The owner's role changes only by transfer.
        MemberOp::SetRole if target_role == Role::Owner => 10004,
        MemberOp::SetRole => 0,
        MemberOp::RecvOption => yes_if(myself),
    }
}

async fn perform_on(c: &TestClient, op: MemberOp, gid: &str, who: &str, who_role: Role) -> i32 {
    let member = |flag: u64, extra: Value| {
        let mut p = json!({"group_modify_member_info_group_id": gid, "group_modify_member_info_identifier": who,
                           "group_modify_member_info_modify_flag": flag});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        json!({ "json_group_modifymeminfo_param": p })
    };
    let r = match op {
        MemberOp::Kick => {
            let r = c
                .call(
                    "TIMGroupDeleteMember",
                    json!({"json_group_delete_param": {"group_delete_member_param_group_id": gid,
                                                       "group_delete_member_param_identifier_array": [who]}}),
                )
                .await;
            // kTIMGroupMemberResult: 0 failed, 1 succeeded.
            if r.code == 0 && r.json[0]["group_delete_member_result_result"] != 1 {
                return NOT_REMOVED;
            }
            r
        }
        MemberOp::Mute => {
            c.call("TIMGroupModifyMemberInfo", member(0x4, json!({"group_modify_member_info_shutup_time": 60}))).await
        }
        MemberOp::NameCard => {
            c.call("TIMGroupModifyMemberInfo", member(0x8, json!({"group_modify_member_info_name_card": "card"}))).await
        }
        MemberOp::SetRole => {
            // Promote a member, demote an admin (or the owner).
            let to = if who_role == Role::Member { 300 } else { 200 };
            c.call("TIMGroupModifyMemberInfo", member(0x2, json!({"group_modify_member_info_member_role": to}))).await
        }
        MemberOp::RecvOption => {
            c.call("TIMGroupModifyMemberInfo", member(0x1, json!({"group_modify_member_info_msg_flag": 2}))).await
        }
    };
    r.code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_permission_table_by_actor_and_target_role() {
    let srv = TestServer::start().await;
    ensure_users(&srv, &["b", "t"]).await;
    let o = srv.client("o").await;
    let a = srv.client("a").await;
    let m = srv.client("m").await;
    // Owner o, admins a and b, members m and t; each actor's "other admin" and "other member".
    let actors = [(Role::Owner, &o, "o"), (Role::Admin, &a, "a"), (Role::Member, &m, "m")];
    let ops = [MemberOp::Kick, MemberOp::Mute, MemberOp::NameCard, MemberOp::SetRole, MemberOp::RecvOption];
    let mut mismatches = Vec::new();
    let mut cells = 0;
    for t in [PUBLIC, PRIVATE, CHAT_ROOM, AV, COMMUNITY] {
        for (role, c, me) in actors {
            for target in [Target::Owner, Target::Admin, Target::Member, Target::Myself] {
                if role == Role::Owner && target == Target::Owner {
                    continue; // the owner's own cells are the Myself ones
                }
                let (who, who_role) = match target {
                    Target::Owner => ("o", Role::Owner),
                    Target::Admin => (if me == "a" { "b" } else { "a" }, Role::Admin),
                    Target::Member => (if me == "m" { "t" } else { "m" }, Role::Member),
                    Target::Myself => (me, role),
                };
                for op in ops {
                    let gid = table_group(&o, t).await;
                    let got = perform_on(c, op, &gid, who, who_role).await;
                    let want = expected_on(t, role, target, op);
                    cells += 1;
                    if got != want {
                        mismatches.push(format!("type {t} {role:?} on {target:?} {op:?}: got {got}, want {want}"));
                    }
                }
            }
        }
    }
    assert_eq!(cells, 5 * (3 * 4 - 1) * ops.len());
    assert!(mismatches.is_empty(), "permission table by target mismatches:\n{}", mismatches.join("\n"));
}

// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_join_request_flow_with_pendency_list_and_reports() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    let dave = srv.client("dave").await;
    // Public, join needs approval; bob is an admin.
    let gid = create_group(&alice, PUBLIC, &[("bob", 300)], json!({"create_group_param_add_option": 1})).await;
    // carol applies: accepted for review, not yet a member.
    carol.ok("TIMGroupJoin", json!({"group_id": gid, "hello_msg": "let me in"})).await;
    assert!(role_in(&members(&alice, &gid).await, "carol").is_none());
    let r = carol.call("TIMMsgSendMessage", send_params(&gid, "too early")).await;
    assert_eq!(r.code, 10007, "an applicant is not a member yet");
    // The owner and the admin get the request as a system message.
    for decider in [&alice, &bob] {
        let r = wait_report(decider, report::ADD_REQUEST, &gid).await;
        assert_eq!(r.group_report_elem_op_user, "carol");
        assert_eq!(r.group_report_elem_msg, "let me in");
    }
    // ...and in their pendency lists.
    let list = alice
        .ok(
            "TIMGroupGetPendencyList",
            json!({"json_group_getpendence_list_param": {"group_pendency_option_start_time": 0, "group_pendency_option_max_limited": 0}}),
        )
        .await;
    let pend = list["group_pendency_result_pendency_array"].as_array().unwrap().clone();
    assert_eq!(pend.len(), 1);
    let p = pend[0].clone();
    assert_eq!(p["group_pendency_group_id"], gid.as_str());
    assert_eq!(p["group_pendency_form_identifier"], "carol");
    assert_eq!(p["group_pendency_to_identifier"], "alice");
    assert_eq!(p["group_pendency_self_identifier"], "alice");
    assert_eq!(p["group_pendency_pendency_type"], 0);
    assert_eq!(p["group_pendency_handled"], group_pendency_handle::NOT_HANDLE);
    assert_eq!(p["group_pendency_apply_invite_msg"], "let me in");
    assert!(!p["group_pendency_key"].as_str().unwrap().is_empty());
    assert_eq!(list["group_pendency_result_unread_num"], 1);
    assert_eq!(list["group_pendency_result_next_start_time"], 0);
    // Reading: unread drops to 0, the pendency stays listed.
    let added = p["group_pendency_add_time"].as_u64().unwrap();
    alice.ok("TIMGroupReportPendencyReaded", json!({ "time_stamp": added })).await;
    let list = alice.ok("TIMGroupGetPendencyList", json!({"json_group_getpendence_list_param": {}})).await;
    assert_eq!(list["group_pendency_result_unread_num"], 0);
    assert_eq!(list["group_pendency_result_read_time_seq"], added);
    assert_eq!(list["group_pendency_result_pendency_array"].as_array().unwrap().len(), 1);
    // A plain member sees no join requests and cannot handle one.
    let none = carol.ok("TIMGroupGetPendencyList", json!({"json_group_getpendence_list_param": {}})).await;
    assert!(none["group_pendency_result_pendency_array"].as_array().unwrap().is_empty());
    // dave applies too; bob refuses him with a message.
    dave.ok("TIMGroupJoin", json!({"group_id": gid, "hello_msg": "me too"})).await;
    wait_report(&bob, report::ADD_REQUEST, &gid).await;
    let list = bob.ok("TIMGroupGetPendencyList", json!({"json_group_getpendence_list_param": {}})).await;
    let dp = list["group_pendency_result_pendency_array"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["group_pendency_form_identifier"] == "dave")
        .unwrap()
        .clone();
    let r = carol
        .call(
            "TIMGroupHandlePendency",
            json!({"json_group_handle_pendency_param": {"group_handle_pendency_param_is_accept": true,
                                                        "group_handle_pendency_param_pendency": dp}}),
        )
        .await;
    assert_eq!(r.code, 10007, "only the owner and admins handle join requests");
    bob.ok(
        "TIMGroupHandlePendency",
        json!({"json_group_handle_pendency_param": {"group_handle_pendency_param_is_accept": false,
               "group_handle_pendency_param_handle_msg": "not today", "group_handle_pendency_param_pendency": dp}}),
    )
    .await;
    let r = wait_report(&dave, report::ADD_REFUSE, &gid).await;
    assert_eq!(r.group_report_elem_msg, "not today");
    assert_eq!(r.group_report_elem_op_user, "bob");
    assert!(role_in(&members(&alice, &gid).await, "dave").is_none());
    // alice approves carol (the object exactly as listed): carol is told and joins.
    alice
        .ok(
            "TIMGroupHandlePendency",
            json!({"json_group_handle_pendency_param": {"group_handle_pendency_param_is_accept": true,
                   "group_handle_pendency_param_handle_msg": "welcome", "group_handle_pendency_param_pendency": p}}),
        )
        .await;
    let r = wait_report(&carol, report::ADD_ACCEPT, &gid).await;
    assert_eq!(r.group_report_elem_msg, "welcome");
    let t = wait_tip(&bob, "carol joined", |t| t.group_tips_elem_tip_type == tip::INVITE).await;
    assert_eq!(t.group_tips_elem_user_array, vec!["carol".to_string()]);
    assert_eq!(t.group_tips_elem_op_user, "alice");
    assert_eq!(t.group_tips_elem_group_id, gid);
    assert_eq!(t.group_tips_elem_member_num, 3);
    wait_tip(&carol, "own join tip", |t| t.group_tips_elem_tip_type == tip::INVITE).await;
    assert_eq!(role_in(&members(&alice, &gid).await, "carol"), Some(200));
    carol.send_text(&gid, 2, "hi all").await;
    // A handled request cannot be handled again, by anyone.
    for who in [&alice, &bob] {
        let r = who
            .call(
                "TIMGroupHandlePendency",
                json!({"json_group_handle_pendency_param": {"group_handle_pendency_param_is_accept": true,
                                                            "group_handle_pendency_param_pendency": p}}),
            )
            .await;
        assert_eq!(r.code, 10024);
    }
    // The list keeps handled requests with their outcome, from the viewer's side.
    let list = alice.ok("TIMGroupGetPendencyList", json!({"json_group_getpendence_list_param": {}})).await;
    let arr = list["group_pendency_result_pendency_array"].as_array().unwrap();
    let by = |who: &str| arr.iter().find(|p| p["group_pendency_form_identifier"] == who).unwrap().clone();
    assert_eq!(by("carol")["group_pendency_handled"], group_pendency_handle::OPERATOR_HANDLE);
    assert_eq!(by("carol")["group_pendency_handle_result"], 1);
    assert_eq!(by("carol")["group_pendency_approval_msg"], "welcome");
    assert_eq!(by("dave")["group_pendency_handled"], group_pendency_handle::OTHER_HANDLE);
    assert_eq!(by("dave")["group_pendency_handle_result"], 0);
    // The tips are in the group conversation with the group's seq.
    let hist = carol.messages(&gid, 2, json!({"msg_getmsglist_param_is_remble": true})).await;
    let tips: Vec<&Value> = hist.iter().filter(|m| m["message_elem_array"][0]["elem_type"] == 5).collect();
    assert!(!tips.is_empty());
    assert_eq!(tips[0]["message_sender"], SYSTEM_SENDER);
    assert!(tips[0]["message_seq"].as_u64().unwrap() >= 1);
    // Add options: Forbid refuses applications; Private groups take none.
    let closed = create_group(&alice, PUBLIC, &[], json!({"create_group_param_add_option": 0})).await;
    assert_eq!(dave.call("TIMGroupJoin", json!({"group_id": closed})).await.code, 10007);
    let work = create_group(&alice, PRIVATE, &[], json!({})).await;
    assert_eq!(dave.call("TIMGroupJoin", json!({"group_id": work})).await.code, 10007);
    assert_eq!(dave.call("TIMGroupJoin", json!({"group_id": "no-such-group"})).await.code, 10010);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_pendency_paging_by_start_time() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let users: Vec<String> = (0..5).map(|i| format!("p{i}")).collect();
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    ensure_users(&srv, &refs).await;
    let gid = create_group(&alice, PUBLIC, &[], json!({"create_group_param_add_option": 1})).await;
    for (i, u) in users.iter().enumerate() {
        let c = srv.client(u).await;
        c.ok("TIMGroupJoin", json!({"group_id": gid, "hello_msg": format!("req {i}")})).await;
        if i == 2 {
            // Two pages by time: requests 0-2 in one second, 3-4 later.
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
    }
    let page = |start: u64| {
        alice.ok(
            "TIMGroupGetPendencyList",
            json!({"json_group_getpendence_list_param": {"group_pendency_option_start_time": start,
                                                         "group_pendency_option_max_limited": 1}}),
        )
    };
    let mut seen = Vec::new();
    let mut start = 0;
    let mut pages = 0;
    loop {
        let v = page(start).await;
        pages += 1;
        for p in v["group_pendency_result_pendency_array"].as_array().unwrap() {
            seen.push(p["group_pendency_form_identifier"].as_str().unwrap().to_string());
        }
        start = v["group_pendency_result_next_start_time"].as_u64().unwrap();
        if start == 0 {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, users, "every request once across pages");
    assert!(pages >= 2, "the suggested size is a hint, but the list did page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_invitation_flows() {
    let srv = TestServer::start().await;
    ensure_users(&srv, &["erin"]).await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    let dave = srv.client("dave").await;
    // Private (Work): any member adds people at once.
    let work = create_group(&alice, PRIVATE, &[("bob", 200)], json!({})).await;
    let v = bob
        .ok(
            "TIMGroupInviteMember",
            json!({"json_group_invite_param": {"group_invite_member_param_group_id": work,
                   "group_invite_member_param_identifier_array": ["carol", "alice", "nobody"],
                   "group_invite_member_param_user_data": "ud"}}),
        )
        .await;
    let res: Vec<(String, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["group_invite_member_result_identifier"].as_str().unwrap().to_string(),
                r["group_invite_member_result_result"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(res, vec![("carol".into(), 1), ("alice".into(), 2), ("nobody".into(), 0)]);
    let r = wait_report(&carol, report::INVITE, &work).await;
    assert_eq!(r.group_report_elem_op_user, "bob");
    assert_eq!(r.group_report_elem_user_data, "ud");
    let t = wait_tip(&alice, "carol added", |t| t.group_tips_elem_tip_type == tip::INVITE).await;
    assert_eq!(t.group_tips_elem_op_user, "bob");
    assert_eq!(t.group_tips_elem_user_array, vec!["carol".to_string()]);
    // carol is in: the tip opened the group conversation for her and she can talk.
    eventually("carol has the group conversation", || async { carol.conv(&work).await.is_some() }).await;
    carol.send_text(&work, 2, "thanks").await;
    let r = alice
        .call(
            "TIMGroupInviteMember",
            json!({"json_group_invite_param": {"group_invite_member_param_group_id": work,
                                               "group_invite_member_param_identifier_array": []}}),
        )
        .await;
    assert_eq!(r.code, 8510, "an empty invite list is refused by the SDK");
    // Public: the invitee decides.
    let public = create_group(&alice, PUBLIC, &[("bob", 200)], json!({})).await;
    let v = alice
        .ok(
            "TIMGroupInviteMember",
            json!({"json_group_invite_param": {"group_invite_member_param_group_id": public,
                   "group_invite_member_param_identifier_array": ["dave", "erin"]}}),
        )
        .await;
    assert_eq!(v[0]["group_invite_member_result_result"], 3, "invitation pending");
    assert_eq!(v[1]["group_invite_member_result_result"], 3);
    assert!(role_in(&members(&alice, &public).await, "dave").is_none());
    let r = wait_report(&dave, report::INVITE_REQ, &public).await;
    assert_eq!(r.group_report_elem_op_user, "alice");
    // The invitation is in dave's pendency list (not in alice's).
    let list = dave.ok("TIMGroupGetPendencyList", json!({"json_group_getpendence_list_param": {}})).await;
    let p = list["group_pendency_result_pendency_array"][0].clone();
    assert_eq!(p["group_pendency_pendency_type"], 1);
    assert_eq!(p["group_pendency_form_identifier"], "alice");
    assert_eq!(p["group_pendency_to_identifier"], "dave");
    let mine = alice.ok("TIMGroupGetPendencyList", json!({"json_group_getpendence_list_param": {}})).await;
    assert!(mine["group_pendency_result_pendency_array"].as_array().unwrap().is_empty());
    // Only the invitee answers.
    let r = bob
        .call(
            "TIMGroupHandlePendency",
            json!({"json_group_handle_pendency_param": {"group_handle_pendency_param_is_accept": true,
                                                        "group_handle_pendency_param_pendency": p}}),
        )
        .await;
    assert_eq!(r.code, 10007);
    dave.ok(
        "TIMGroupHandlePendency",
        json!({"json_group_handle_pendency_param": {"group_handle_pendency_param_is_accept": true,
                                                    "group_handle_pendency_param_pendency": p}}),
    )
    .await;
    wait_report(&alice, report::INVITE_ACCEPT, &public).await;
    let t = wait_tip(&bob, "dave joined", |t| {
        t.group_tips_elem_tip_type == tip::INVITE && t.group_tips_elem_group_id == public
    })
    .await;
    assert_eq!(t.group_tips_elem_user_array, vec!["dave".to_string()]);
    assert_eq!(role_in(&members(&alice, &public).await, "dave"), Some(200));
    let r = dave
        .call(
            "TIMGroupHandlePendency",
            json!({"json_group_handle_pendency_param": {"group_handle_pendency_param_is_accept": true,
                                                        "group_handle_pendency_param_pendency": p}}),
        )
        .await;
    assert_eq!(r.code, 10024);
    // erin (logged in later) refuses: alice is told, erin stays out.
    let erin = srv.client("erin").await;
    wait_report(&erin, report::INVITE_REQ, &public).await;
    let list = erin.ok("TIMGroupGetPendencyList", json!({"json_group_getpendence_list_param": {}})).await;
    let p = list["group_pendency_result_pendency_array"][0].clone();
    erin.ok(
        "TIMGroupHandlePendency",
        json!({"json_group_handle_pendency_param": {"group_handle_pendency_param_is_accept": false,
               "group_handle_pendency_param_handle_msg": "no thanks", "group_handle_pendency_param_pendency": p}}),
    )
    .await;
    let r = wait_report(&alice, report::INVITE_REFUSE, &public).await;
    assert_eq!(r.group_report_elem_msg, "no thanks");
    assert!(role_in(&members(&alice, &public).await, "erin").is_none());
    // AVChatRoom: nobody invites.
    let av = create_group(&alice, AV, &[], json!({})).await;
    let r = alice
        .call(
            "TIMGroupInviteMember",
            json!({"json_group_invite_param": {"group_invite_member_param_group_id": av,
                                               "group_invite_member_param_identifier_array": ["bob"]}}),
        )
        .await;
    assert_eq!(r.code, 10007);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_owner_transfer_with_positive_and_negative_flag() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    ensure_users(&srv, &["carol"]).await;
    let gid = create_group(&alice, PUBLIC, &[("bob", 200)], json!({})).await;
    let before =
        info(&alice, &gid).await["get_groups_info_result_info"]["group_detial_info_info_seq"].as_u64().unwrap();
    // 0x80000000 as the unsigned number.
    alice
        .ok(
            "TIMGroupModifyGroupInfo",
            json!({"json_group_modifyinfo_param": {"group_modify_info_param_group_id": gid,
                   "group_modify_info_param_modify_flag": 2147483648u64, "group_modify_info_param_owner": "bob"}}),
        )
        .await;
    let list = members(&alice, &gid).await;
    assert_eq!(role_in(&list, "bob"), Some(400));
    assert_eq!(role_in(&list, "alice"), Some(200));
    let i = info(&bob, &gid).await;
    assert_eq!(i["get_groups_info_result_info"]["group_detial_info_owener_identifier"], "bob");
    assert!(i["get_groups_info_result_info"]["group_detial_info_info_seq"].as_u64().unwrap() > before);
    let t = wait_tip(&bob, "owner change tip", |t| t.group_tips_elem_tip_type == tip::GROUP_INFO_CHANGE).await;
    assert_eq!(t.group_tips_elem_op_user, "alice");
    let c = &t.group_tips_elem_group_change_info_array[0];
    assert_eq!(c.group_tips_group_change_info_flag, change::OWNER);
    assert_eq!(c.group_tips_group_change_info_value, "bob");
    // The former owner has no right to transfer any more.
    let r = alice
        .call(
            "TIMGroupModifyGroupInfo",
            json!({"json_group_modifyinfo_param": {"group_modify_info_param_group_id": gid,
                   "group_modify_info_param_modify_flag": 2147483648u64, "group_modify_info_param_owner": "alice"}}),
        )
        .await;
    assert_eq!(r.code, 10007);
    // 0x80000000 as a C++ caller sends it: -2147483648, as a JSON string param too.
    let raw = format!(
        "{{\"group_modify_info_param_group_id\":\"{gid}\",\"group_modify_info_param_modify_flag\":-2147483648,\"group_modify_info_param_owner\":\"alice\"}}"
    );
    bob.ok("TIMGroupModifyGroupInfo", json!({ "json_group_modifyinfo_param": raw })).await;
    let list = members(&alice, &gid).await;
    assert_eq!(role_in(&list, "alice"), Some(400));
    assert_eq!(role_in(&list, "bob"), Some(200));
    // The owner flag must be alone; the new owner must be a member.
    let r = alice
        .call(
            "TIMGroupModifyGroupInfo",
            json!({"json_group_modifyinfo_param": {"group_modify_info_param_group_id": gid,
                   "group_modify_info_param_modify_flag": 2147483649u64, "group_modify_info_param_owner": "bob",
                   "group_modify_info_param_group_name": "x"}}),
        )
        .await;
    assert_eq!(r.code, 6017);
    let r = alice
        .call(
            "TIMGroupModifyGroupInfo",
            json!({"json_group_modifyinfo_param": {"group_modify_info_param_group_id": gid,
                   "group_modify_info_param_modify_flag": -2147483648i64, "group_modify_info_param_owner": "carol"}}),
        )
        .await;
    assert_eq!(r.code, 10004);
    // After handing over, the former owner may quit; the new owner may not.
    alice
        .ok(
            "TIMGroupModifyGroupInfo",
            json!({"json_group_modifyinfo_param": {"group_modify_info_param_group_id": gid,
                   "group_modify_info_param_modify_flag": 2147483648u64, "group_modify_info_param_owner": "bob"}}),
        )
        .await;
    assert_eq!(bob.call("TIMGroupQuit", json!({ "group_id": gid })).await.code, 10009);
    alice.ok("TIMGroupQuit", json!({ "group_id": gid })).await;
    assert!(role_in(&members(&bob, &gid).await, "alice").is_none());
    let r = bob
        .call(
            "TIMGroupModifyGroupInfo",
            json!({"json_group_modifyinfo_param": {"group_modify_info_param_group_id": "no-such-group",
                   "group_modify_info_param_modify_flag": 2147483648u64, "group_modify_info_param_owner": "alice"}}),
        )
        .await;
    assert_eq!(r.code, 10010);
}

fn modify_info(gid: &str, flag: u64, extra: Value) -> Value {
    let mut p = json!({"group_modify_info_param_group_id": gid, "group_modify_info_param_modify_flag": flag});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    json!({ "json_group_modifyinfo_param": p })
}

fn modify_member(gid: &str, who: &str, flag: u64, extra: Value) -> Value {
    let mut p = json!({"group_modify_member_info_group_id": gid, "group_modify_member_info_identifier": who,
                       "group_modify_member_info_modify_flag": flag});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    json!({ "json_group_modifymeminfo_param": p })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_mute_member_and_mute_all() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    let gid = create_group(&alice, PUBLIC, &[("bob", 300), ("carol", 200)], json!({})).await;
    // The admin mutes carol for a minute: everyone gets a member-info tip, carol cannot send.
    bob.ok(
        "TIMGroupModifyMemberInfo",
        modify_member(&gid, "carol", 0x4, json!({"group_modify_member_info_shutup_time": 60})),
    )
    .await;
    let t = wait_tip(&alice, "mute tip", |t| t.group_tips_elem_tip_type == tip::MEMBER_INFO_CHANGE).await;
    assert_eq!(t.group_tips_elem_op_user, "bob");
    let mc = &t.group_tips_elem_member_change_info_array[0];
    assert_eq!(mc.group_tips_member_change_info_identifier, "carol");
    assert_eq!(mc.group_tips_member_change_info_shutup_time, 60);
    let v = serde_json::to_value(&t).unwrap();
    assert_eq!(v["group_tips_elem_member_change_info_array"][0]["group_tips_member_change_info_shutupTime"], 60);
    assert_eq!(carol.call("TIMMsgSendMessage", send_params(&gid, "can I?")).await.code, 10017);
    let me = alice
        .ok(
            "TIMGroupGetMemberInfoList",
            json!({"json_group_getmeminfos_param": {"group_get_members_info_list_param_group_id": gid,
                   "group_get_members_info_list_param_identifier_array": ["carol"]}}),
        )
        .await;
    let until =
        me["group_get_memeber_info_list_result_info_array"][0]["group_member_info_shutup_time"].as_u64().unwrap();
    assert!(until > confab_core::now_secs() + 30, "mute-until is a time about a minute ahead");
    // Members cannot mute; admins cannot mute admins or the owner.
    let r = carol
        .call(
            "TIMGroupModifyMemberInfo",
            modify_member(&gid, "bob", 0x4, json!({"group_modify_member_info_shutup_time": 60})),
        )
        .await;
    assert_eq!(r.code, 10007);
    let r = bob
        .call(
            "TIMGroupModifyMemberInfo",
            modify_member(&gid, "alice", 0x4, json!({"group_modify_member_info_shutup_time": 60})),
        )
        .await;
    assert_eq!(r.code, 10007);
    // Unmute (0); then a short mute that runs out by itself.
    bob.ok(
        "TIMGroupModifyMemberInfo",
        modify_member(&gid, "carol", 0x4, json!({"group_modify_member_info_shutup_time": 0})),
    )
    .await;
    carol.send_text(&gid, 2, "free again").await;
    alice
        .ok(
            "TIMGroupModifyMemberInfo",
            modify_member(&gid, "carol", 0x4, json!({"group_modify_member_info_shutup_time": 2})),
        )
        .await;
    assert_eq!(carol.call("TIMMsgSendMessage", send_params(&gid, "muted")).await.code, 10017);
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    carol.send_text(&gid, 2, "the minute passed").await;
    // Mute all: only the owner and admins talk.
    alice
        .ok("TIMGroupModifyGroupInfo", modify_info(&gid, 0x100, json!({"group_modify_info_param_is_shutup_all": true})))
        .await;
    let t = wait_tip(&carol, "mute-all tip", |t| {
        t.group_tips_elem_group_change_info_array.iter().any(|c| {
            c.group_tips_group_change_info_flag == change::SHUTUP_ALL && c.group_tips_group_change_info_bool_value
        })
    })
    .await;
    assert_eq!(t.group_tips_elem_tip_type, tip::GROUP_INFO_CHANGE);
    assert_eq!(carol.call("TIMMsgSendMessage", send_params(&gid, "hello?")).await.code, 10017);
    bob.send_text(&gid, 2, "admins may").await;
    alice.send_text(&gid, 2, "owners may").await;
    assert_eq!(info(&carol, &gid).await["get_groups_info_result_info"]["group_detial_info_is_shutup_all"], true);
    let joined = carol.ok("TIMGroupGetJoinedGroupList", json!({})).await;
    assert_eq!(joined[0]["group_base_info_is_shutup_all"], true);
    let r = carol
        .call(
            "TIMGroupModifyGroupInfo",
            modify_info(&gid, 0x100, json!({"group_modify_info_param_is_shutup_all": false})),
        )
        .await;
    assert_eq!(r.code, 10007, "a member cannot lift mute-all");
    bob.ok(
        "TIMGroupModifyGroupInfo",
        modify_info(&gid, 0x100, json!({"group_modify_info_param_is_shutup_all": false})),
    )
    .await;
    carol.send_text(&gid, 2, "talking again").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_dismiss_tells_everyone_and_ends_the_group() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    let gid = create_group(&alice, PUBLIC, &[("bob", 300), ("carol", 200)], json!({})).await;
    alice.send_text(&gid, 2, "last words").await;
    eventually("bob has the group conversation", || async { bob.conv(&gid).await.is_some() }).await;
    assert_eq!(bob.call("TIMGroupDelete", json!({ "group_id": gid })).await.code, 10007, "admins cannot dismiss");
    alice.ok("TIMGroupDelete", json!({ "group_id": gid })).await;
    for c in [&alice, &bob, &carol] {
        let r = wait_report(c, report::DELETE, &gid).await;
        assert_eq!(r.group_report_elem_op_user, "alice");
    }
    // The group conversation goes away (conversation Del), the system conversation holds the notice.
    bob.wait_for(
        "group conv deleted",
        |e| matches!(e, SdkEvent::ConvEvent { event: 1, convs: Some(c) } if c[0].conv_id == gid),
    )
    .await;
    assert!(bob.conv(&gid).await.is_none());
    assert!(bob.convs().await.iter().any(|c| c["conv_type"] == 3));
    // The group is gone.
    assert_eq!(info(&bob, &gid).await["get_groups_info_result_code"], 10010);
    assert_eq!(bob.call("TIMMsgSendMessage", send_params(&gid, "anyone?")).await.code, 10010);
    assert_eq!(carol.call("TIMGroupJoin", json!({ "group_id": gid })).await.code, 10010);
    assert!(bob.ok("TIMGroupGetJoinedGroupList", json!({})).await.as_array().unwrap().is_empty());
    assert_eq!(alice.call("TIMGroupDelete", json!({ "group_id": gid })).await.code, 10010);
    // Nobody dismisses a Private (Work) group, not even its owner.
    let work = create_group(&alice, PRIVATE, &[("bob", 200)], json!({})).await;
    assert_eq!(alice.call("TIMGroupDelete", json!({ "group_id": work })).await.code, 10007);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_quit_and_kick_keep_conversations_in_step() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    let gid = create_group(&alice, CHAT_ROOM, &[("bob", 200), ("carol", 200)], json!({})).await;
    alice.send_text(&gid, 2, "hello room").await;
    for c in [&bob, &carol] {
        eventually("the member has the group conversation", || async { c.conv(&gid).await.is_some() }).await;
    }
    // bob quits: the others get a quit tip, bob's conversation ends.
    bob.ok("TIMGroupQuit", json!({ "group_id": gid })).await;
    let t = wait_tip(&alice, "quit tip", |t| t.group_tips_elem_tip_type == tip::QUIT).await;
    assert_eq!(t.group_tips_elem_user_array, vec!["bob".to_string()]);
    assert_eq!(t.group_tips_elem_member_num, 2);
    wait_report(&bob, report::QUIT, &gid).await;
    eventually("bob's group conversation is gone", || async { bob.conv(&gid).await.is_none() }).await;
    assert_eq!(bob.call("TIMGroupQuit", json!({ "group_id": gid })).await.code, 10007, "no longer a member");
    // carol is kicked: the others get a kick tip, carol a report, and her conversation ends.
    let v = alice
        .ok(
            "TIMGroupDeleteMember",
            json!({"json_group_delete_param": {"group_delete_member_param_group_id": gid,
                   "group_delete_member_param_identifier_array": ["carol", "bob"],
                   "group_delete_member_param_user_data": "bye"}}),
        )
        .await;
    assert_eq!(v[0]["group_delete_member_result_identifier"], "carol");
    assert_eq!(v[0]["group_delete_member_result_result"], 1);
    assert_eq!(v[1]["group_delete_member_result_result"], 0, "bob is no longer a member");
    let t = wait_tip(&alice, "kick tip", |t| t.group_tips_elem_tip_type == tip::KICK).await;
    assert_eq!(t.group_tips_elem_user_array, vec!["carol".to_string()]);
    let r = wait_report(&carol, report::BE_KICKED, &gid).await;
    assert_eq!(r.group_report_elem_op_user, "alice");
    assert_eq!(r.group_report_elem_user_data, "bye");
    carol
        .wait_for(
            "carol's conv deleted",
            |e| matches!(e, SdkEvent::ConvEvent { event: 1, convs: Some(c) } if c[0].conv_id == gid),
        )
        .await;
    assert_eq!(carol.call("TIMMsgSendMessage", send_params(&gid, "still here?")).await.code, 10007);
    // Rejoining (free in a ChatRoom) brings the conversation back with the next message.
    carol.ok("TIMGroupJoin", json!({ "group_id": gid })).await;
    alice.send_text(&gid, 2, "welcome back").await;
    eventually("carol's conversation is back", || async { carol.conv(&gid).await.is_some() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_avchatroom_online_delivery_and_no_history() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    let gid = create_group(&alice, AV, &[], json!({})).await;
    // Free join; the join tips reach online members.
    bob.ok("TIMGroupJoin", json!({ "group_id": gid })).await;
    let t = wait_tip(&alice, "bob joined", |t| t.group_tips_elem_tip_type == tip::INVITE).await;
    assert_eq!(t.group_tips_elem_user_array, vec!["bob".to_string()]);
    carol.ok("TIMGroupJoin", json!({ "group_id": gid, "hello_msg": "hi" })).await;
    // Online delivery.
    let sent = alice.send_text(&gid, 2, "live 1").await;
    assert_eq!(sent["message_status"], 2);
    assert_eq!(recv_chat(&bob, 1).await, vec!["live 1"]);
    assert_eq!(recv_chat(&carol, 1).await, vec!["live 1"]);
    // Nothing is stored: not on the server, not on any device (the sender's included).
    for c in [&alice, &bob, &carol] {
        assert!(c.messages(&gid, 2, json!({})).await.is_empty(), "no local history");
        assert!(c.messages(&gid, 2, json!({"msg_getmsglist_param_is_remble": true})).await.is_empty(), "no roaming");
    }
    // Quit and rejoin: still no history. A late joiner sees none either.
    bob.ok("TIMGroupQuit", json!({ "group_id": gid })).await;
    bob.ok("TIMGroupJoin", json!({ "group_id": gid })).await;
    assert!(bob.messages(&gid, 2, json!({"msg_getmsglist_param_is_remble": true})).await.is_empty());
    let dave = srv.client("dave").await;
    dave.ok("TIMGroupJoin", json!({ "group_id": gid })).await;
    assert!(dave.messages(&gid, 2, json!({"msg_getmsglist_param_is_remble": true})).await.is_empty());
    // A member who is offline misses what is said meanwhile.
    carol.ok("TIMLogout", json!({})).await;
    let _ = carol.drain().await;
    alice.send_text(&gid, 2, "live 2").await;
    assert_eq!(recv_chat(&bob, 1).await, vec!["live 2"]);
    carol.login("carol", &srv.usersig("carol")).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let missed = carol.drain().await.iter().any(|e| match e {
        SdkEvent::RecvNewMsg(m) => m.iter().any(|m| text_of(&serde_json::to_value(m).unwrap()) == "live 2"),
        _ => false,
    });
    assert!(!missed, "AVChatRoom messages are not kept for offline members");
    alice.send_text(&gid, 2, "live 3").await;
    assert_eq!(recv_chat(&carol, 1).await, vec!["live 3"]);
    // The room's own rules.
    assert_eq!(alice.call("TIMGroupQuit", json!({ "group_id": gid })).await.code, 10009);
    let joined = bob.ok("TIMGroupGetJoinedGroupList", json!({})).await;
    assert_eq!(joined[0]["group_base_info_group_type"], AV);
    let r = alice
        .call(
            "TIMGroupDeleteMember",
            json!({"json_group_delete_param": {"group_delete_member_param_group_id": gid,
                   "group_delete_member_param_identifier_array": ["bob"]}}),
        )
        .await;
    assert_eq!(r.code, 10007, "no kicking in an AVChatRoom");
    // Non-members may list an AVChatRoom's members; they cannot send.
    let erin = srv.client("erin").await;
    erin.ok(
        "TIMGroupGetMemberInfoList",
        json!({"json_group_getmeminfos_param": {"group_get_members_info_list_param_group_id": gid}}),
    )
    .await;
    assert_eq!(erin.call("TIMMsgSendMessage", send_params(&gid, "hey")).await.code, 10007);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_offline_members_get_tips_and_reports_at_login() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let dave = srv.client("dave").await;
    let gid = create_group(&alice, PUBLIC, &[("bob", 200), ("dave", 200)], json!({})).await;
    alice.send_text(&gid, 2, "before").await;
    for c in [&bob, &dave] {
        eventually("the member has the group conversation", || async { c.conv(&gid).await.is_some() }).await;
        c.ok("TIMLogout", json!({})).await;
        let _ = c.drain().await;
    }
    // While bob and dave are away: a rename, bob made admin, dave kicked.
    alice
        .ok("TIMGroupModifyGroupInfo", modify_info(&gid, 0x1, json!({"group_modify_info_param_group_name": "renamed"})))
        .await;
    alice
        .ok(
            "TIMGroupModifyMemberInfo",
            modify_member(&gid, "bob", 0x2, json!({"group_modify_member_info_member_role": 300})),
        )
        .await;
    alice
        .ok(
            "TIMGroupDeleteMember",
            json!({"json_group_delete_param": {"group_delete_member_param_group_id": gid,
                   "group_delete_member_param_identifier_array": ["dave"]}}),
        )
        .await;
    bob.login("bob", &srv.usersig("bob")).await;
    let t = wait_tip(&bob, "rename tip", |t| t.group_tips_elem_tip_type == tip::GROUP_INFO_CHANGE).await;
    let c = &t.group_tips_elem_group_change_info_array[0];
    assert_eq!(
        (c.group_tips_group_change_info_flag, c.group_tips_group_change_info_value.as_str()),
        (change::NAME, "renamed")
    );
    let t = wait_tip(&bob, "set-admin tip", |t| t.group_tips_elem_tip_type == tip::SET_ADMIN).await;
    assert_eq!(t.group_tips_elem_user_array, vec!["bob".to_string()]);
    let t = wait_tip(&bob, "kick tip", |t| t.group_tips_elem_tip_type == tip::KICK).await;
    assert_eq!(t.group_tips_elem_user_array, vec!["dave".to_string()]);
    let r = wait_report(&bob, report::GRANT_ADMIN, &gid).await;
    assert_eq!(r.group_report_elem_op_user, "alice");
    // The tips are messages of the group conversation; its name follows the group's.
    eventually("the conversation shows the new name", || async {
        bob.conv(&gid).await.is_some_and(|c| c["conv_show_name"] == "renamed")
    })
    .await;
    let hist = bob.messages(&gid, 2, json!({"msg_getmsglist_param_count": 10})).await;
    let seqs: Vec<u64> = hist.iter().map(|m| m["message_seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, vec![4, 3, 2, 1], "tips take the group's next seqs: {hist:?}");
    assert!(hist[..3].iter().all(|m| m["message_elem_array"][0]["elem_type"] == 5));
    // dave learns at login that he was removed; his group conversation ends.
    dave.login("dave", &srv.usersig("dave")).await;
    let r = wait_report(&dave, report::BE_KICKED, &gid).await;
    assert_eq!(r.group_report_elem_op_user, "alice");
    eventually("dave's group conversation is gone", || async { dave.conv(&gid).await.is_none() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_create_info_modify_and_limits() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let gid = create_group(
        &alice,
        PUBLIC,
        &[("bob", 200)],
        json!({"create_group_param_group_id": "my-group", "create_group_param_group_name": "Name",
               "create_group_param_notification": "N", "create_group_param_introduction": "I",
               "create_group_param_face_url": "http://f", "create_group_param_max_member_num": 100,
               "create_group_param_add_option": 1,
               "create_group_param_custom_info": [{"group_info_custom_string_info_key": "k", "group_info_custom_string_info_value": "v"}]}),
    )
    .await;
    assert_eq!(gid, "my-group");
    let i = info(&bob, &gid).await;
    assert_eq!(i["get_groups_info_result_code"], 0);
    let d = &i["get_groups_info_result_info"];
    assert_eq!(d["group_detial_info_group_id"], "my-group");
    assert_eq!(d["group_detial_info_group_type"], PUBLIC);
    assert_eq!(d["group_detial_info_group_name"], "Name");
    assert_eq!(d["group_detial_info_notification"], "N");
    assert_eq!(d["group_detial_info_introduction"], "I");
    assert_eq!(d["group_detial_info_face_url"], "http://f");
    assert_eq!(d["group_detial_info_max_member_num"], 100);
    assert_eq!(d["group_detial_info_member_num"], 2);
    assert_eq!(d["group_detial_info_add_option"], 1);
    assert_eq!(d["group_detial_info_owener_identifier"], "alice");
    assert_eq!(d["group_detial_info_custom_info"][0]["group_info_custom_string_info_value"], "v");
    assert!(d["group_detial_info_create_time"].as_u64().unwrap() > 0);
    let seq0 = d["group_detial_info_info_seq"].as_u64().unwrap();
    // Creation errors: the SDK's own checks (85xx) and the server's.
    let create = |p: Value| alice.call("TIMGroupCreate", json!({ "json_group_create_param": p }));
    let base = |extra: Value| {
        let mut p = json!({"create_group_param_group_name": "n", "create_group_param_group_type": PUBLIC});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    };
    assert_eq!(create(base(json!({"create_group_param_group_id": "my-group"}))).await.code, 10021);
    assert_eq!(create(base(json!({"create_group_param_group_id": "@TGS#mine"}))).await.code, 8501);
    assert_eq!(create(base(json!({"create_group_param_group_id": "x".repeat(49)}))).await.code, 8501);
    assert_eq!(create(base(json!({"create_group_param_group_id": "has space"}))).await.code, 8501);
    assert_eq!(
        create(base(json!({"create_group_param_group_name": "é".repeat(16)}))).await.code,
        8502,
        "30 bytes, not chars"
    );
    assert_eq!(create(base(json!({"create_group_param_group_name": "é".repeat(15)}))).await.code, 0);
    assert_eq!(create(base(json!({"create_group_param_introduction": "i".repeat(241)}))).await.code, 8503);
    assert_eq!(create(base(json!({"create_group_param_notification": "n".repeat(301)}))).await.code, 8504);
    assert_eq!(create(base(json!({"create_group_param_face_url": "f".repeat(101)}))).await.code, 8505);
    let many: Vec<Value> = (0..200).map(|i| json!({"group_member_info_identifier": format!("u{i}")})).collect();
    let r = create(json!({"create_group_param_group_name": "n", "create_group_param_group_type": PRIVATE,
                          "create_group_param_group_member_array": many}))
    .await;
    assert_eq!(r.code, 8507, "a Private group holds 200 members, owner included");
    let r = create(base(json!({"create_group_param_group_member_array": [{"group_member_info_identifier": "bob", "group_member_info_member_role": 400}]})))
        .await;
    assert_eq!(r.code, 8509);
    let r = create(base(json!({"create_group_param_group_member_array": [{"group_member_info_identifier": "ghost"}]})))
        .await;
    assert_eq!(r.code, 10019, "members must be existing accounts");
    let community =
        |id: &str| base(json!({"create_group_param_group_type": COMMUNITY, "create_group_param_group_id": id}));
    assert_eq!(create(community("plain-id")).await.code, 8501, "custom Community ids start with @TGS#_");
    assert_eq!(create(community("@TGS#_space")).await.code, 0);
    let auto = create(base(json!({}))).await;
    assert!(auto.json["create_group_result_groupid"].as_str().unwrap().starts_with("@TGS#"));
    // Several flags OR-ed in one call: one tip listing each change.
    alice
        .ok(
            "TIMGroupModifyGroupInfo",
            modify_info(
                &gid,
                0x1 | 0x2 | 0x8 | 0x10,
                json!({"group_modify_info_param_group_name": "Renamed",
                "group_modify_info_param_notification": "Read me", "group_modify_info_param_face_url": "http://g",
                "group_modify_info_param_add_option": 2}),
            ),
        )
        .await;
    let t = wait_tip(&bob, "info change", |t| t.group_tips_elem_tip_type == tip::GROUP_INFO_CHANGE).await;
    let flags: Vec<u32> =
        t.group_tips_elem_group_change_info_array.iter().map(|c| c.group_tips_group_change_info_flag).collect();
    assert_eq!(flags, vec![change::NAME, change::NOTIFICATION, change::FACE_URL, change::GROUP_ADD_OPT]);
    assert_eq!(t.group_tips_elem_group_name, "Renamed");
    let d = info(&bob, &gid).await["get_groups_info_result_info"].clone();
    assert_eq!(d["group_detial_info_group_name"], "Renamed");
    assert_eq!(d["group_detial_info_notification"], "Read me");
    assert_eq!(d["group_detial_info_face_url"], "http://g");
    assert_eq!(d["group_detial_info_add_option"], 2);
    assert!(d["group_detial_info_info_seq"].as_u64().unwrap() > seq0);
    assert!(d["group_detial_info_last_info_time"].as_u64().unwrap() > 0);
    // Custom fields, max members, limits, permissions.
    alice
        .ok(
            "TIMGroupModifyGroupInfo",
            modify_info(&gid, 0x200 | 0x20, json!({"group_modify_info_param_max_member_num": 50,
                "group_modify_info_param_custom_info": [{"group_info_custom_string_info_key": "k2", "group_info_custom_string_info_value": "v2"}]})),
        )
        .await;
    let d = info(&bob, &gid).await["get_groups_info_result_info"].clone();
    assert_eq!(d["group_detial_info_max_member_num"], 50);
    assert_eq!(d["group_detial_info_custom_info"].as_array().unwrap().len(), 2);
    let r = alice
        .call("TIMGroupModifyGroupInfo", modify_info(&gid, 0x20, json!({"group_modify_info_param_max_member_num": 1})))
        .await;
    assert_eq!(r.code, 10004, "not below the member count");
    let r = alice
        .call(
            "TIMGroupModifyGroupInfo",
            modify_info(&gid, 0x1, json!({"group_modify_info_param_group_name": "n".repeat(31)})),
        )
        .await;
    assert_eq!(r.code, 8502);
    let r = alice
        .call(
            "TIMGroupModifyGroupInfo",
            modify_info(&gid, 0x4, json!({"group_modify_info_param_introduction": "i".repeat(241)})),
        )
        .await;
    assert_eq!(r.code, 8503);
    let r = bob
        .call("TIMGroupModifyGroupInfo", modify_info(&gid, 0x1, json!({"group_modify_info_param_group_name": "mine"})))
        .await;
    assert_eq!(r.code, 10007, "a member of a Public group cannot rename it");
    // Info list: per-group codes.
    let v = bob.ok("TIMGroupGetGroupInfoList", json!({ "json_group_getinfo_param": [gid, "nope"] })).await;
    assert_eq!(v[0]["get_groups_info_result_code"], 0);
    assert_eq!(v[1]["get_groups_info_result_code"], 10010);
    // Joined list, with my role.
    let joined = bob.ok("TIMGroupGetJoinedGroupList", json!({})).await;
    let mine = joined.as_array().unwrap().iter().find(|g| g["group_base_info_group_id"] == gid).unwrap().clone();
    assert_eq!(mine["group_base_info_group_name"], "Renamed");
    assert_eq!(mine["group_base_info_self_info"]["group_self_info_role"], 200);
    let joined = alice.ok("TIMGroupGetJoinedGroupList", json!({})).await;
    let mine = joined.as_array().unwrap().iter().find(|g| g["group_base_info_group_id"] == gid).unwrap().clone();
    assert_eq!(mine["group_base_info_self_info"]["group_self_info_role"], 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_member_list_paging_filters_and_name_cards() {
    let srv = TestServer::start().await;
    let users: Vec<String> = (0..60).map(|i| format!("u{i:02}")).collect();
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    ensure_users(&srv, &refs).await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let mut initial: Vec<(&str, u32)> = refs.iter().map(|u| (*u, 200)).collect();
    initial[0].1 = 300;
    initial.push(("bob", 200));
    let gid = create_group(&alice, PUBLIC, &initial, json!({})).await;
    // Pages by next_seq, owner and admins first.
    let page = |next: u64, opt: Value| {
        alice.ok(
            "TIMGroupGetMemberInfoList",
            json!({"json_group_getmeminfos_param": {"group_get_members_info_list_param_group_id": gid,
                   "group_get_members_info_list_param_next_seq": next, "group_get_members_info_list_param_option": opt}}),
        )
    };
    let p1 = page(0, json!({})).await;
    let a1 = p1["group_get_memeber_info_list_result_info_array"].as_array().unwrap().clone();
    assert_eq!(a1.len(), 50);
    assert_eq!(a1[0]["group_member_info_identifier"], "alice");
    assert_eq!(a1[0]["group_member_info_member_role"], 400);
    assert_eq!(a1[1]["group_member_info_identifier"], "u00");
    let next = p1["group_get_memeber_info_list_result_next_seq"].as_u64().unwrap();
    assert_eq!(next, 50);
    let p2 = page(next, json!({})).await;
    assert_eq!(p2["group_get_memeber_info_list_result_info_array"].as_array().unwrap().len(), 12);
    assert_eq!(p2["group_get_memeber_info_list_result_next_seq"], 0);
    assert_eq!(members(&alice, &gid).await.len(), 62);
    // Role filters.
    let only = |v: &Value| -> Vec<String> {
        v["group_get_memeber_info_list_result_info_array"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["group_member_info_identifier"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(only(&page(0, json!({"group_member_get_info_option_role_flag": 1})).await), vec!["alice"]);
    assert_eq!(only(&page(0, json!({"group_member_get_info_option_role_flag": 2})).await), vec!["u00"]);
    assert_eq!(only(&page(0, json!({"group_member_get_info_option_role_flag": 3})).await), vec!["alice", "u00"]);
    let m = page(0, json!({"group_member_get_info_option_role_flag": 4})).await;
    assert_eq!(m["group_get_memeber_info_list_result_info_array"].as_array().unwrap().len(), 50);
    // Info flags: None leaves out everything but the identifier.
    let bare = page(0, json!({"group_member_get_info_option_info_flag": 0})).await;
    let first = &bare["group_get_memeber_info_list_result_info_array"][0];
    assert_eq!(first["group_member_info_identifier"], "alice");
    assert_eq!(first["group_member_info_member_role"], 0);
    assert_eq!(first["group_member_info_join_time"], 0);
    let flagged = page(0, json!({"group_member_get_info_option_info_flag": 0x1 | 0x8})).await;
    let first = &flagged["group_get_memeber_info_list_result_info_array"][0];
    assert_eq!(first["group_member_info_member_role"], 400);
    assert!(first["group_member_info_join_time"].as_u64().unwrap() > 0);
    // Specific members (non-members are left out).
    let v = alice
        .ok(
            "TIMGroupGetMemberInfoList",
            json!({"json_group_getmeminfos_param": {"group_get_members_info_list_param_group_id": gid,
                   "group_get_members_info_list_param_identifier_array": ["bob", "nobody"]}}),
        )
        .await;
    assert_eq!(only(&v), vec!["bob"]);
    assert_eq!(v["group_get_memeber_info_list_result_next_seq"], 0);
    // Name cards: my own, or the owner/admins on members below them.
    bob.ok(
        "TIMGroupModifyMemberInfo",
        modify_member(&gid, "bob", 0x8, json!({"group_modify_member_info_name_card": "B"})),
    )
    .await;
    alice
        .ok(
            "TIMGroupModifyMemberInfo",
            modify_member(&gid, "bob", 0x8, json!({"group_modify_member_info_name_card": "Bobby"})),
        )
        .await;
    let t = wait_tip(&bob, "name card tip", |t| {
        t.group_tips_elem_tip_type == tip::MEMBER_INFO_CHANGE && t.group_tips_elem_op_user == "alice"
    })
    .await;
    assert_eq!(t.group_tips_elem_changed_group_memberinfo_array[0].group_member_info_name_card, "Bobby");
    let r = bob
        .call(
            "TIMGroupModifyMemberInfo",
            modify_member(&gid, "u01", 0x8, json!({"group_modify_member_info_name_card": "x"})),
        )
        .await;
    assert_eq!(r.code, 10007);
    let r = bob
        .call(
            "TIMGroupModifyMemberInfo",
            modify_member(&gid, "bob", 0x8, json!({"group_modify_member_info_name_card": "n".repeat(51)})),
        )
        .await;
    assert_eq!(r.code, 8506);
    let v = bob
        .ok(
            "TIMGroupGetMemberInfoList",
            json!({"json_group_getmeminfos_param": {"group_get_members_info_list_param_group_id": gid,
                   "group_get_members_info_list_param_identifier_array": ["bob"]}}),
        )
        .await;
    assert_eq!(v["group_get_memeber_info_list_result_info_array"][0]["group_member_info_name_card"], "Bobby");
    // Set and cancel an admin: tips to all, reports to the member concerned.
    alice
        .ok(
            "TIMGroupModifyMemberInfo",
            modify_member(&gid, "bob", 0x2, json!({"group_modify_member_info_member_role": 300})),
        )
        .await;
    wait_report(&bob, report::GRANT_ADMIN, &gid).await;
    wait_tip(&bob, "set admin", |t| t.group_tips_elem_tip_type == tip::SET_ADMIN).await;
    alice
        .ok(
            "TIMGroupModifyMemberInfo",
            modify_member(&gid, "bob", 0x2, json!({"group_modify_member_info_member_role": 200})),
        )
        .await;
    wait_report(&bob, report::CANCEL_ADMIN, &gid).await;
    wait_tip(&bob, "cancel admin", |t| t.group_tips_elem_tip_type == tip::CANCEL_ADMIN).await;
    let r = alice
        .call(
            "TIMGroupModifyMemberInfo",
            modify_member(&gid, "bob", 0x2, json!({"group_modify_member_info_member_role": 400})),
        )
        .await;
    assert_eq!(r.code, 10004, "the owner role is given by transfer only");
    // Outsiders cannot list a Public group's members.
    let x = srv.client("x").await;
    let r = x
        .call(
            "TIMGroupGetMemberInfoList",
            json!({"json_group_getmeminfos_param": {"group_get_members_info_list_param_group_id": gid}}),
        )
        .await;
    assert_eq!(r.code, 10007);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_group_receive_message_option() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let gid = create_group(&alice, PRIVATE, &[("bob", 200)], json!({})).await;
    bob.ok("TIMMsgSetGroupReceiveMessageOpt", json!({"group_id": gid, "opt": 1})).await;
    let joined = bob.ok("TIMGroupGetJoinedGroupList", json!({})).await;
    assert_eq!(joined[0]["group_base_info_msg_flag"], 1);
    let _ = bob.drain().await;
    alice.send_text(&gid, 2, "quiet").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!bob.drain().await.iter().any(|e| matches!(e, SdkEvent::RecvNewMsg(_))), "not received");
    let hist = bob.messages(&gid, 2, json!({"msg_getmsglist_param_is_remble": true})).await;
    assert!(hist.iter().any(|m| text_of(m) == "quiet"), "still in the history");
    bob.ok("TIMMsgSetGroupReceiveMessageOpt", json!({"group_id": gid, "opt": 0})).await;
    alice.send_text(&gid, 2, "loud").await;
    assert_eq!(recv_chat(&bob, 1).await, vec!["loud"]);
    let x = srv.client("x").await;
    assert_eq!(x.call("TIMMsgSetGroupReceiveMessageOpt", json!({"group_id": gid, "opt": 1})).await.code, 10007);
    assert_eq!(bob.call("TIMMsgSetGroupReceiveMessageOpt", json!({"group_id": gid, "opt": 7})).await.code, 6017);
}

/// The real `confab-cli` program administering a group over JSON lines.
struct Cli {
    _child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    out: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    seen: Vec<Value>,
    next_id: u64,
}

impl Cli {
    fn spawn(srv: &TestServer, dir: &std::path::Path) -> Cli {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_confab-cli-under-test"))
            .args(["--server", &srv.url(), "--data-dir"])
            .arg(dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn confab-cli");
        let stdin = child.stdin.take().unwrap();
        let out = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        Cli { _child: child, stdin, out, seen: Vec::new(), next_id: 1 }
    }

    async fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.seen.iter().position(&pred) {
            return self.seen.remove(i);
        }
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let line = tokio::time::timeout_at(deadline, self.out.next_line())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .unwrap()
                .expect("cli stdout closed");
            let v: Value = serde_json::from_str(&line).unwrap();
            if pred(&v) {
                return v;
            }
            self.seen.push(v);
        }
    }

    /// Call an API; answers the callback line (or the result line when the call has none).
    async fn call(&mut self, api: &str, params: Value) -> Value {
        use tokio::io::AsyncWriteExt;
        let id = self.next_id;
        self.next_id += 1;
        let line = format!("{}\n", json!({"id": id, "api": api, "params": params}));
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
        let first = self.expect(api, |v| v["id"] == id && v.get("result").is_some()).await;
        if first["result"] != 0 || api == "TIMInit" {
            return first;
        }
        self.expect(api, |v| v["id"] == id && v.get("code").is_some()).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_cli_administers_a_group() {
    let srv = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Cli::spawn(&srv, dir.path());
    assert_eq!(cli.call("TIMInit", json!({"sdk_app_id": srv.identity.sdk_app_id})).await["result"], 0);
    assert_eq!(cli.call("TIMLogin", json!({"user_id": "alice", "user_sig": srv.usersig("alice")})).await["code"], 0);
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    let v = cli
        .call(
            "TIMGroupCreate",
            json!({"json_group_create_param": {"create_group_param_group_id": "cli-group",
                   "create_group_param_group_name": "cli", "create_group_param_group_type": PUBLIC,
                   "create_group_param_add_option": 1,
                   "create_group_param_group_member_array": [{"group_member_info_identifier": "carol"}]}}),
        )
        .await;
    assert_eq!(v["json"]["create_group_result_groupid"], "cli-group");
    // bob applies; the CLI sees the request as a system message, lists and approves it.
    bob.ok("TIMGroupJoin", json!({"group_id": "cli-group", "hello_msg": "from bob"})).await;
    let ev = cli
        .expect("the join request", |v| {
            v["event"] == "TIMRecvNewMsgCallback" && v["json"][0]["message_elem_array"][0]["elem_type"] == 8
        })
        .await;
    assert_eq!(ev["json"][0]["message_elem_array"][0]["group_report_elem_report_type"], report::ADD_REQUEST);
    assert_eq!(ev["json"][0]["message_sender"], SYSTEM_SENDER);
    let list = cli.call("TIMGroupGetPendencyList", json!({"json_group_getpendence_list_param": {}})).await;
    let p = list["json"]["group_pendency_result_pendency_array"][0].clone();
    assert_eq!(p["group_pendency_form_identifier"], "bob");
    let r = cli
        .call(
            "TIMGroupHandlePendency",
            json!({"json_group_handle_pendency_param": {"group_handle_pendency_param_is_accept": true,
                                                        "group_handle_pendency_param_pendency": p}}),
        )
        .await;
    assert_eq!((r["code"].clone(), r["json"].clone()), (json!(0), json!("")));
    wait_report(&bob, report::ADD_ACCEPT, "cli-group").await;
    let ev = cli.expect("the join tip", |v| v["event"] == "TIMGroupTipsEventCallback").await;
    assert_eq!(ev["json"]["elem_type"], elem_type::GROUP_TIPS);
    assert_eq!(ev["json"]["group_tips_elem_tip_type"], tip::INVITE);
    assert_eq!(ev["json"]["group_tips_elem_user_array"], json!(["bob"]));
    // Mute bob, make carol the owner with the flag as a C++ caller sends it.
    let r = cli
        .call(
            "TIMGroupModifyMemberInfo",
            json!({"json_group_modifymeminfo_param": modify_member("cli-group", "bob", 0x4,
                   json!({"group_modify_member_info_shutup_time": 600}))["json_group_modifymeminfo_param"]}),
        )
        .await;
    assert_eq!(r["code"], 0);
    assert_eq!(bob.call("TIMMsgSendMessage", send_params("cli-group", "hi")).await.code, 10017);
    let r = cli
        .call(
            "TIMGroupModifyGroupInfo",
            json!({"json_group_modifyinfo_param": "{\"group_modify_info_param_group_id\":\"cli-group\",\"group_modify_info_param_modify_flag\":-2147483648,\"group_modify_info_param_owner\":\"carol\"}"}),
        )
        .await;
    assert_eq!(r["code"], 0);
    assert_eq!(role_in(&members(&carol, "cli-group").await, "carol"), Some(400));
    let r = cli.call("TIMGroupDelete", json!({"group_id": "cli-group"})).await;
    assert_eq!(r["code"], 10007, "alice is no longer the owner");
    let r = cli.call("TIMGroupQuit", json!({"group_id": "cli-group"})).await;
    assert_eq!(r["code"], 0);
}

fn send_with_priority(gid: &str, text: &str, priority: u32) -> Value {
    json!({"conv_id": gid, "conv_type": 2,
           "json_msg_param": {"message_priority": priority,
                              "message_elem_array": [{"elem_type": 0, "text_elem_content": text}]}})
}

/// A group flooded past its rate refuses normal messages (10023, the sender is told) while
/// high-priority ones still get through and reach the members; nothing refused is delivered
/// or stored, and a stored group's seqs stay consecutive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_group_rate_limit_lets_high_priority_through() {
    let srv = TestServer::start_with(|c| c.group_msg_rate = 10).await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    for t in [AV, PUBLIC] {
        // Anyone may join (add option Any) so bob joins at once.
        let gid = create_group(&alice, t, &[], json!({"create_group_param_add_option": 2})).await;
        bob.ok("TIMGroupJoin", json!({ "group_id": gid })).await;
        eventually("bob is a member", || async { members(&alice, &gid).await.len() == 2 }).await;
        let _ = bob.drain().await;
        // 60 normal messages at once into a group that takes 10 per second: normal priority
        // may use 8 of the 10-token bucket (2 are kept for high priority), plus what refills
        // while the flood lasts. Bounds use the measured duration, so a slow machine cannot
        // make the test flaky.
        let started = std::time::Instant::now();
        let normal: Vec<_> =
            (0..60).map(|i| alice.call("TIMMsgSendMessage", send_with_priority(&gid, &format!("n{i}"), 1))).collect();
        let normal = futures_util::future::join_all(normal).await;
        let elapsed = started.elapsed().as_secs_f64();
        let sent: Vec<String> =
            normal.iter().enumerate().filter(|(_, r)| r.code == 0).map(|(i, _)| format!("n{i}")).collect();
        let refused = normal.iter().filter(|r| r.code == 10023).count();
        assert_eq!(
            sent.len() + refused,
            60,
            "every send either succeeds or is refused with 10023: {:?}",
            normal.iter().map(|r| r.code).collect::<Vec<_>>()
        );
        let allowed = 8.0 + 10.0 * elapsed;
        assert!(sent.len() as f64 <= allowed + 1.0, "{} passed in {elapsed:.2} s: the rate holds", sent.len());
        assert!(sent.len() >= 8, "the burst a normal message may use passes ({} passed)", sent.len());
        if elapsed < 4.0 {
            assert!(refused > 0, "the flood is throttled ({refused} refused in {elapsed:.2} s)");
        }
        // Normal messages never touch the 2 tokens kept for high priority, so high-priority
        // messages pass right after the flood, whatever the timing.
        for i in 0..2 {
            let r = alice.call("TIMMsgSendMessage", send_with_priority(&gid, &format!("h{i}"), 0)).await;
            assert_eq!(r.code, 0, "high priority passes under throttling: {}", r.desc);
        }
        // Bob gets exactly what was accepted, in order.
        let mut want = sent.clone();
        want.extend(["h0".to_string(), "h1".to_string()]);
        assert_eq!(recv_chat(&bob, want.len()).await, want);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let extra = bob.drain().await.iter().any(|e| matches!(e, SdkEvent::RecvNewMsg(m) if m.iter().any(|m| text_of(&serde_json::to_value(m).unwrap()).starts_with('n'))));
        assert!(!extra, "refused messages are never delivered");
        if t == PUBLIC {
            let hist = bob
                .messages(&gid, 2, json!({"msg_getmsglist_param_count": 100, "msg_getmsglist_param_is_remble": true}))
                .await;
            let texts: Vec<_> = hist.iter().filter(|m| m["message_elem_array"][0]["elem_type"] == 0).collect();
            assert_eq!(texts.len(), want.len(), "only accepted messages are stored");
            let mut seqs: Vec<u64> = hist.iter().map(|m| m["message_seq"].as_u64().unwrap()).collect();
            seqs.sort();
            assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "seqs stay consecutive: {seqs:?}");
        }
        // After a pause the rate refills.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        alice.ok("TIMMsgSendMessage", send_with_priority(&gid, "after the pause", 1)).await;
    }
}

/// A group id used again after its group was dismissed starts with an empty history: the new
/// group's members never see the old group's messages through roaming.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_reused_group_id_starts_a_fresh_history() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let extra = json!({"create_group_param_group_id": "team-room"});
    let gid = create_group(&alice, PUBLIC, &[("bob", 200)], extra.clone()).await;
    assert_eq!(gid, "team-room");
    let old = alice.send_text(&gid, 2, "said in the old group").await;
    alice.ok("TIMGroupDelete", json!({ "group_id": gid })).await;
    assert_eq!(create_group(&alice, PUBLIC, &[("bob", 200)], extra).await, "team-room");
    let new = alice.send_text(&gid, 2, "said in the new group").await;
    assert!(new["message_seq"].as_u64().unwrap() > old["message_seq"].as_u64().unwrap(), "seqs stay unique");
    // A new device of bob (nothing local) pages the roaming history.
    let bob2 = TestClient::with_options(&srv, tempfile::tempdir().unwrap(), |o| o.fresh_sync_window = 0);
    drop(bob);
    bob2.login("bob", &srv.usersig("bob")).await;
    let hist =
        bob2.messages(&gid, 2, json!({"msg_getmsglist_param_count": 50, "msg_getmsglist_param_is_remble": true})).await;
    let texts: Vec<String> =
        hist.iter().filter(|m| m["message_elem_array"][0]["elem_type"] == 0).map(text_of).collect();
    assert_eq!(texts, vec!["said in the new group".to_string()]);
    assert!(hist.iter().all(|m| m["message_seq"].as_u64().unwrap() > old["message_seq"].as_u64().unwrap()));
}

/// A device that never learned that a group is an AVChatRoom (it joined on another device)
/// keeps no copy of its own messages there either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_avchatroom_echo_not_kept_by_a_device_that_did_not_know_the_type() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let gid = create_group(&alice, AV, &[], json!({})).await;
    bob.ok("TIMGroupJoin", json!({ "group_id": gid })).await;
    drop(bob);
    let bob2 = TestClient::new(&srv, tempfile::tempdir().unwrap());
    bob2.login("bob", &srv.usersig("bob")).await;
    let sent = bob2.send_text(&gid, 2, "from the new device").await;
    assert_eq!(sent["message_status"], 2);
    assert_eq!(recv_chat(&alice, 1).await, vec!["from the new device"]);
    assert!(bob2.messages(&gid, 2, json!({})).await.is_empty(), "the echo is not kept");
    bob2.send_text(&gid, 2, "again").await;
    assert!(bob2.messages(&gid, 2, json!({})).await.is_empty(), "nor later ones");
}
