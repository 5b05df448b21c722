//! TypeScript declarations of the TIM data model for the UI, generated from confab-protocol
//! (ts-rs for the structs, `KNOWN` tables for the enumerations) into `ui/src/bindings/tim.ts`
//! and checked for drift by `test_tim_bindings_are_current`. 64-bit integers are `number`s,
//! as `JSON.parse` gives them to the webview.
use confab_protocol::conv::*;
use confab_protocol::enums;
use confab_protocol::group::*;
use confab_protocol::msg_ops::*;
use confab_protocol::profile::*;
use confab_protocol::*;
use ts_rs::TS;

/// The enumerations, by their TIM-side module names.
const ENUMS: &[(&str, &[(&str, i64)])] = &[
    ("conv_type", enums::conv_type::KNOWN),
    ("conv_event", enums::conv_event::KNOWN),
    ("network_status", enums::network_status::KNOWN),
    ("login_status", enums::login_status::KNOWN),
    ("platform", enums::platform::KNOWN),
    ("elem_type", enums::elem_type::KNOWN),
    ("msg_status", enums::msg_status::KNOWN),
    ("msg_priority", enums::msg_priority::KNOWN),
    ("recv_msg_opt", enums::recv_msg_opt::KNOWN),
    ("group_type", enums::group_type::KNOWN),
    ("group_add_option", enums::group_add_option::KNOWN),
    ("member_role", enums::member_role::KNOWN),
    ("group_tip_type", enums::group_tip_type::KNOWN),
    ("group_report_type", enums::group_report_type::KNOWN),
    ("group_tip_change_flag", enums::group_tip_change_flag::KNOWN),
    ("group_pendency_type", enums::group_pendency_type::KNOWN),
    ("group_pendency_handle", enums::group_pendency_handle::KNOWN),
    ("group_pendency_handle_result", enums::group_pendency_handle_result::KNOWN),
    ("handle_group_member_result", enums::handle_group_member_result::KNOWN),
    ("group_modify_info_flag", enums::group_modify_info_flag::KNOWN),
    ("group_member_modify_flag", enums::group_member_modify_flag::KNOWN),
    ("group_member_info_flag", enums::group_member_info_flag::KNOWN),
    ("group_member_role_flag", enums::group_member_role_flag::KNOWN),
    ("download_type", enums::download_type::KNOWN),
    ("log_level", enums::log_level::KNOWN),
    ("image_format", enums::image_format::KNOWN),
];

pub fn tim_bindings() -> String {
    let cfg = ts_rs::Config::default().with_large_int("number");
    let mut out = String::from("// Generated from crates/protocol by `cargo test -p confab-desktop`; do not edit.\n\n");
    out.push_str("export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;\n\n");
    for (name, values) in ENUMS {
        out.push_str(&format!("export const {name} = {{\n"));
        for (k, v) in values.iter() {
            out.push_str(&format!("  {k}: {v},\n"));
        }
        out.push_str("} as const;\n\n");
    }
    for decl in [
        GroupInfoCustomString::decl(&cfg),
        GroupMemberInfoCustomString::decl(&cfg),
        GroupMemberInfo::decl(&cfg),
        CreateGroupParam::decl(&cfg),
        CreateGroupResult::decl(&cfg),
        GroupSelfInfo::decl(&cfg),
        GroupBaseInfo::decl(&cfg),
        GroupDetailInfo::decl(&cfg),
        GroupTipGroupChangeInfo::decl(&cfg),
        GroupTipMemberChangeInfo::decl(&cfg),
        GroupTipsElem::decl(&cfg),
        GroupReportElem::decl(&cfg),
        GroupModifyInfoParam::decl(&cfg),
        GroupGetInfoOption::decl(&cfg),
        GroupMemberGetInfoOption::decl(&cfg),
        GroupInviteMemberParam::decl(&cfg),
        GroupInviteMemberResult::decl(&cfg),
        GroupDeleteMemberParam::decl(&cfg),
        GroupDeleteMemberResult::decl(&cfg),
        GetGroupInfoResult::decl(&cfg),
        GroupGetMemberInfoListParam::decl(&cfg),
        GroupGetMemberInfoListResult::decl(&cfg),
        GroupModifyMemberInfoParam::decl(&cfg),
        GroupPendencyOption::decl(&cfg),
        GroupPendency::decl(&cfg),
        GroupPendencyResult::decl(&cfg),
        GroupHandlePendencyParam::decl(&cfg),
        Draft::decl(&cfg),
        GroupAtInfo::decl(&cfg),
        ConvInfo::decl(&cfg),
        MessageReceipt::decl(&cfg),
        MsgLocator::decl(&cfg),
        MsgGetMsgListParam::decl(&cfg),
        MsgDeleteParam::decl(&cfg),
        MsgBatchSendParam::decl(&cfg),
        MsgBatchSendResult::decl(&cfg),
        MsgDownloadElemParam::decl(&cfg),
        MsgDownloadElemResult::decl(&cfg),
        MessageSearchParam::decl(&cfg),
        MessageSearchResultItem::decl(&cfg),
        MessageSearchResult::decl(&cfg),
        GetC2CRecvMsgOptResult::decl(&cfg),
        UserProfile::decl(&cfg),
        UserProfileCustomStringInfo::decl(&cfg),
        UserProfileItem::decl(&cfg),
        Message::decl(&cfg),
        OfflinePushConfig::decl(&cfg),
        IosOfflinePushConfig::decl(&cfg),
        AndroidOfflinePushConfig::decl(&cfg),
        Elem::decl(&cfg),
        TextElem::decl(&cfg),
        FaceElem::decl(&cfg),
        LocationElem::decl(&cfg),
        ImageElem::decl(&cfg),
        SoundElem::decl(&cfg),
        CustomElem::decl(&cfg),
        FileElem::decl(&cfg),
        VideoElem::decl(&cfg),
        MergeElem::decl(&cfg),
    ] {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out
}

#[cfg(test)]
mod tests {
    /// `ui/src/bindings/tim.ts` must match confab-protocol. `UPDATE_BINDINGS=1` rewrites it (CI
    /// never does, so drift fails the build).
    #[test]
    fn test_tim_bindings_are_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/bindings/tim.ts");
        let want = super::tim_bindings();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(have, want, "ui/src/bindings/tim.ts is stale: run UPDATE_BINDINGS=1 cargo test -p confab-desktop");
    }

    #[test]
    fn test_enum_tables_match_the_constants() {
        use confab_protocol::enums::*;
        let find = |m: &str, k: &str| {
            super::ENUMS
                .iter()
                .find(|(n, _)| *n == m)
                .and_then(|(_, t)| t.iter().find(|(n, _)| *n == k))
                .map(|(_, v)| *v)
        };
        assert_eq!(find("elem_type", "MERGE"), Some(elem_type::MERGE as i64));
        assert_eq!(find("msg_status", "REVOKED"), Some(msg_status::REVOKED as i64));
        assert_eq!(find("group_modify_info_flag", "OWNER"), Some(group_modify_info_flag::OWNER as i64));
        assert!(super::tim_bindings().contains("export type Message = {"));
    }
}
