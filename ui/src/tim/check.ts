// Compile-time drift check: the UI's hand-written views of TIM types (./types.ts) may only
// name keys that the Rust data model has (../bindings/tim.ts, generated from confab-protocol),
// with compatible types, and its enumeration values must be the generated ones. `tsc` (run by
// `npm run build` in the tests) fails when either side drifts.
import type * as Gen from "../bindings/tim";
import {
  conv_event, conv_type, elem_type, group_type, msg_status, network_status,
} from "../bindings/tim";
import type * as Hand from "./types";
import { ConvEvent, ConvType, ElemType, GroupType, MsgStatus, NetworkStatus } from "./types";

/** The named keys of T (index signatures dropped). */
type Named<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };
/** Keys the hand-written view names that the generated type lacks, or whose types disagree. */
type Drift<H, G> = {
  [K in keyof Named<H>]-?: K extends keyof G
    ? NonNullable<G[K]> extends NonNullable<Named<H>[K]> ? never : K
    : K;
}[keyof Named<H>];
type NoDrift<H, G> = [Drift<H, G>] extends [never] ? true : { drift: Drift<H, G> };

/** Every key any element kind has. */
type AnyElem = Gen.TextElem & Gen.ImageElem & Gen.SoundElem & Gen.CustomElem & Gen.FileElem & Gen.FaceElem &
  Gen.LocationElem & Gen.VideoElem & Gen.MergeElem & Gen.GroupTipsElem & Gen.GroupReportElem & { elem_type: number };

export const checks: true[] = [
  true as NoDrift<Hand.Elem, AnyElem>,
  true as NoDrift<Omit<Hand.Message, "local_key" | "message_elem_array" | "message_sender_profile">, Gen.Message>,
  true as NoDrift<Hand.UserProfile, Gen.UserProfile>,
  true as NoDrift<Omit<Hand.Draft, "draft_msg">, Gen.Draft>,
  true as NoDrift<Omit<Hand.ConvInfo, "conv_last_msg" | "conv_draft">, Gen.ConvInfo>,
  true as NoDrift<Hand.MessageReceipt, Gen.MessageReceipt>,
  true as NoDrift<Hand.MsgLocator, Gen.MsgLocator>,
];

/** Each hand-named enumeration value is the generated one. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Values<T> = T[keyof T];
export const enumChecks: true[] = [
  true as Same<Values<typeof ConvType>, typeof conv_type.C2C | typeof conv_type.GROUP>,
  true as Same<typeof ElemType.Merge, typeof elem_type.MERGE>,
  true as Same<typeof ElemType.GroupTips, typeof elem_type.GROUP_TIPS>,
  true as Same<Values<typeof ElemType>, Exclude<Values<typeof elem_type>, typeof elem_type.INVALID>>,
  true as Same<Values<typeof MsgStatus>, Exclude<Values<typeof msg_status>, typeof msg_status.CANCEL>>,
  true as Same<Values<typeof NetworkStatus>, Values<typeof network_status>>,
  true as Same<Values<typeof ConvEvent>, Values<typeof conv_event>>,
  true as Same<Values<typeof GroupType>, Values<typeof group_type>>,
];
