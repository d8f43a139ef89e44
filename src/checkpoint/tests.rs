use super::*;
use crate::pb::{compare, Compare, KeyValue, TxnRequest};

fn round_trip<T: Checkpoint + PartialEq + fmt::Debug>(v: &T) -> Vec<u8> {
    let bytes = to_bytes(v);
    let back: T = from_bytes(&bytes).expect("decodes");
    assert_eq!(&back, v);
    assert_eq!(to_bytes(&back), bytes, "re-encodes to the same bytes");
    bytes
}

#[test]
fn integers_are_varints_and_signed_ones_zigzag() {
    assert_eq!(round_trip(&0u64), [0]);
    assert_eq!(round_trip(&127u64), [127]);
    assert_eq!(round_trip(&128u64), [0x80, 1]);
    assert_eq!(round_trip(&u64::MAX).len(), 10);
    assert_eq!(round_trip(&-1i64), [1]);
    assert_eq!(round_trip(&1i64), [2]);
    round_trip(&i64::MIN);
    round_trip(&i64::MAX);
    round_trip(&i32::MIN);
}

#[test]
fn collections_are_a_length_then_their_elements() {
    assert_eq!(round_trip(&vec![1u64, 2, 300]), [3, 1, 2, 0xac, 2]);
    round_trip(&Some(String::from("etcd")));
    round_trip(&None::<u64>);
    round_trip(&VecDeque::from(vec![5u64, 6]));
    round_trip(&BTreeSet::from([3i64, -4]));
    round_trip(&BTreeMap::from([(1u64, (true, String::from("a")))]));
    let mut e = Encoder::new();
    encode_byte_map(&BTreeMap::from([(b"k".to_vec(), 7u64)]), &mut e);
    encode_byte_set(&BTreeSet::from([b"x".to_vec()]), &mut e);
    let bytes = e.finish();
    let mut d = Decoder::new(&bytes);
    assert_eq!(
        decode_byte_map::<u64>(&mut d),
        BTreeMap::from([(b"k".to_vec(), 7)])
    );
    assert_eq!(decode_byte_set(&mut d), BTreeSet::from([b"x".to_vec()]));
    assert_eq!(d.finish(), Ok(()));
}

#[test]
fn a_shared_value_is_written_once_and_shared_again_on_load() {
    let a = Rc::new(String::from("a request shared by every log"));
    let b = Rc::new(String::from("another"));
    let v = vec![a.clone(), b.clone(), a.clone(), a];
    let bytes = round_trip(&v);
    // (a string is its marker 0, its length, itself)
    assert_eq!(bytes.len(), 1 + (1 + 1 + 1 + 29) + (1 + 1 + 1 + 7) + 1 + 1);
    let back: Vec<Rc<String>> = from_bytes(&bytes).unwrap();
    assert!(Rc::ptr_eq(&back[0], &back[2]) && Rc::ptr_eq(&back[0], &back[3]));
    assert!(!Rc::ptr_eq(&back[0], &back[1]));
}

#[test]
fn a_reference_to_a_shared_value_not_yet_read_is_corrupt() {
    assert_eq!(from_bytes::<Vec<Rc<String>>>(&[1, 1]), Err(Corrupt));
    // value 1 refers to a u64, read back as a String: not the same type
    let mut e = Encoder::new();
    Rc::new(5u64).encode(&mut e);
    e.u64(1);
    let bytes = e.finish();
    let mut d = Decoder::new(&bytes);
    assert_eq!(*Rc::<u64>::decode(&mut d), 5);
    Rc::<String>::decode(&mut d);
    assert_eq!(d.finish(), Err(Corrupt));
}

#[test]
fn short_trailing_or_malformed_bytes_are_corrupt() {
    assert_eq!(from_bytes::<u64>(&[0x80]), Err(Corrupt));
    assert_eq!(from_bytes::<u64>(&[1, 2]), Err(Corrupt));
    assert_eq!(from_bytes::<bool>(&[2]), Err(Corrupt));
    assert_eq!(
        from_bytes::<u32>(&[0xff, 0xff, 0xff, 0xff, 0x7f]),
        Err(Corrupt)
    );
    assert_eq!(from_bytes::<String>(&[2, 0xff, 0xfe]), Err(Corrupt));
    // a length past the bytes left is never allocated
    assert_eq!(
        from_bytes::<Vec<u64>>(&[0xff, 0xff, 0xff, 0xff, 0x0f]),
        Err(Corrupt)
    );
    assert_eq!(from_bytes::<u64>(&[0xff; 11]), Err(Corrupt));
}

#[test]
fn etcd_messages_go_field_by_field_with_oneofs_and_nested_messages() {
    let kv = KeyValue {
        key: b"foo".to_vec(),
        create_revision: 2,
        mod_revision: -3,
        version: 1,
        value: vec![0, 255],
        lease: 7,
    };
    round_trip(&kv);
    round_trip(&KeyValue::default());
    let txn = TxnRequest {
        compare: vec![
            Compare {
                key: b"k".to_vec(),
                target_union: Some(compare::TargetUnion::Version(0)),
                ..Compare::default()
            },
            Compare {
                result: 2,
                target_union: Some(compare::TargetUnion::Value(Vec::new())),
                ..Compare::default()
            },
            Compare::default(),
        ],
        success: vec![crate::pb::RequestOp {
            request: Some(crate::pb::request_op::Request::RequestPut(
                crate::pb::PutRequest {
                    key: b"a".to_vec(),
                    prev_kv: true,
                    ..Default::default()
                },
            )),
        }],
        failure: vec![crate::pb::RequestOp::default()],
    };
    round_trip(&txn);
}

/// `v` read back from its checkpoint: the same bytes again and the same
/// value as `Debug` shows every field (some states have no `PartialEq`).
fn reads_back<T: Checkpoint + fmt::Debug>(v: &T) -> T {
    let bytes = to_bytes(v);
    let back: T = from_bytes(&bytes).expect("decodes");
    assert_eq!(format!("{back:?}"), format!("{v:?}"));
    assert_eq!(to_bytes(&back), bytes, "re-encodes to the same bytes");
    back
}

#[test]
fn the_lessor_reads_back_with_its_leases_keys_and_expiries() {
    use crate::lease::Lessor;
    let mut l = Lessor::new(2, true);
    l.grant(7, 10, 1_000).expect("grants");
    l.grant(-3, 1, 2_000).expect("grants");
    l.bind(b"a", 7);
    l.bind(b"b", 7);
    let mut back = reads_back(&l);
    assert_eq!(back.renew(7, 5_000), l.renew(7, 5_000));
    assert_eq!(back.revoke(7), l.revoke(7));
    reads_back(&Lessor::new(2, false));
}

#[test]
fn the_auth_store_and_tokens_read_back() {
    use crate::auth::AuthStore;
    use crate::auth::SimpleTokens;
    use crate::pb::{AuthUserAddRequest, Permission, UserAddOptions};
    let mut a = AuthStore::default();
    a.user_add(&AuthUserAddRequest {
        name: "root".into(),
        hashed_password: "h".into(),
        ..Default::default()
    })
    .expect("adds");
    a.user_add(&AuthUserAddRequest {
        name: "nopass".into(),
        options: Some(UserAddOptions { no_password: true }),
        ..Default::default()
    })
    .expect("adds");
    a.role_add("root").expect("adds");
    a.role_add("r").expect("adds");
    let perm = Permission {
        perm_type: 1,
        key: b"k".to_vec(),
        range_end: b"l".to_vec(),
    };
    a.role_grant_permission("r", Some(&perm)).expect("grants");
    a.user_grant_role("root", "root").expect("grants");
    a.user_grant_role("nopass", "r").expect("grants");
    a.enable().expect("enables");
    let back = reads_back(&a);
    assert_eq!(back, a);

    let mut t = SimpleTokens::default();
    let token = t.assign("abcdefghijklmnop", 9, "root", 100);
    let mut back = reads_back(&t);
    assert_eq!(back.user(&token, 200), t.user(&token, 200));
}

#[test]
fn membership_and_alarms_read_back() {
    use crate::alarm::AlarmStore;
    use crate::membership::Membership;
    use crate::pb::Member;
    let mut m = Membership::new([
        Member {
            id: 1,
            name: "a".into(),
            peer_urls: vec!["http://a:2380".into()],
            client_urls: vec![],
            is_learner: false,
        },
        Member {
            id: 2,
            is_learner: true,
            ..Default::default()
        },
    ]);
    m.set_attributes(2, "b", &["http://b:2379".into()]);
    assert_eq!(reads_back(&m), m);
    let mut a = AlarmStore::default();
    a.activate(2, 1);
    a.activate(1, 2);
    assert_eq!(reads_back(&a), a);
}

#[test]
fn a_nesting_past_any_state_is_corrupt_and_ends() {
    // a txn in a txn in a txn...: each level a few bytes
    let mut bytes = Vec::new();
    for _ in 0..100_000 {
        // compare: absent; success: one op whose oneof is its 4th member, a txn
        bytes.extend_from_slice(&[0, 1, 1, 0, 0, 0, 1]);
    }
    assert_eq!(from_bytes::<TxnRequest>(&bytes), Err(Corrupt));
}

#[test]
fn a_large_state_comes_in_pieces_whose_base64_joins_as_the_whole() {
    use crate::gateway::jsonpb::base64_encode;
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7) as u8).collect();
    let mut e = Encoder::new();
    e.bytes(&data);
    e.u64(u64::MAX);
    let pieces = e.finish_pieces();
    assert_eq!(pieces.len(), 4);
    assert!(pieces[..3].iter().all(|p| p.len() == PIECE));
    let whole = pieces.concat();
    let mut d = Decoder::new(&whole);
    assert_eq!(d.bytes(), data);
    assert_eq!(d.u64(), u64::MAX);
    assert_eq!(d.finish(), Ok(()));
    let joined: String = pieces.iter().map(|p| base64_encode(p)).collect();
    assert_eq!(joined, base64_encode(&whole));
}

#[test]
fn a_long_byte_string_written_again_is_a_reference_to_the_first() {
    let value = vec![7u8; 100];
    let other = vec![8u8; 100];
    // the first copy spans two pieces
    let pad = vec![1u8; PIECE - 40];
    let v = vec![
        pad.clone(),
        value.clone(),
        other.clone(),
        value.clone(),
        value.clone(),
    ];
    let mut e = Encoder::new();
    for b in &v {
        e.bytes(b);
    }
    let bytes = e.finish();
    assert_eq!(bytes.len(), (1 + 3 + pad.len()) + 2 * (1 + 1 + 100) + 2);
    let mut d = Decoder::new(&bytes);
    let back: Vec<Vec<u8>> = (0..5).map(|_| d.bytes()).collect();
    assert_eq!(d.finish(), Ok(()));
    assert_eq!(back, v);
    // a reference to a string not read yet is corrupt
    assert_eq!(from_bytes::<String>(&[1]), Err(Corrupt));
}

#[test]
fn a_key_value_is_written_as_the_reflect_table_writes_it() {
    let long = vec![b'v'; 40];
    for kv in [
        pb::KeyValue::default(),
        pb::KeyValue {
            key: b"foo".to_vec(),
            create_revision: 2,
            mod_revision: 9,
            version: 3,
            value: long.clone(),
            lease: -7,
        },
    ] {
        let mut direct = Encoder::new();
        kv.encode(&mut direct);
        kv.encode(&mut direct);
        let mut reflected = Encoder::new();
        encode_message(&kv, &mut reflected);
        encode_message(&kv, &mut reflected);
        let direct = direct.finish_pieces().concat();
        assert_eq!(direct, reflected.finish_pieces().concat());
        let mut d = Decoder::new(&direct);
        assert_eq!(pb::KeyValue::decode(&mut d), kv);
        assert_eq!(pb::KeyValue::decode(&mut d), kv);
    }
}
