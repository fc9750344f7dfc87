#!/usr/bin/env bash
# sohoa catalog and sohoa name suggest|folder, with and without a workspace.
. "$(dirname "$0")/lib.sh"

# catalog: 104 types, filtered by priority, as text and JSON.
run_sohoa 0 catalog
assert_eq "$(echo "$OUT" | wc -l)" "104" "catalog lines"
assert_contains "$(echo "$OUT" | sed -n 2p)" "Ly lich dang vien"
assert_contains "$(echo "$OUT" | sed -n 2p)" "Lý lịch đảng viên"
run_sohoa 0 --json catalog --priority 1
assert_eq "$(json_get "$OUT" 'd["count"]')" "36" "priority-1 types"
assert_eq "$(json_get "$OUT" 'd["types"][0]["name"]')" "Ly lich nguoi xin vao dang"
assert_eq "$(json_get "$OUT" 'd["types"][0]["aliases"][0]')" "Ly lich cua nguoi xin vao dang"
run_sohoa 0 --json catalog --priority 3
assert_eq "$(json_get "$OUT" 'd["count"]')" "19" "priority-3 types"
run_sohoa 2 catalog --priority 4

# suggest: the issue's examples, titles with and without diacritics, typos, abbreviations.
run_sohoa 0 name suggest 2
assert_eq "$OUT" "02.Ly lich dang vien.pdf"
run_sohoa 0 name suggest 55 --seq 2
assert_eq "$OUT" "55.Giay gioi thieu sinh hoat dang tam thoi.2.pdf"
run_sohoa 0 name suggest "Lý lịch đảng viên"
assert_eq "$OUT" "02.Ly lich dang vien.pdf"
run_sohoa 0 name suggest ly lich dang vein
assert_eq "$OUT" "02.Ly lich dang vien.pdf"
assert_contains "$ERR" "Lý lịch đảng viên" "the note naming the type taken"
run_sohoa 0 name suggest "QĐ kết nạp ĐV"
assert_eq "$OUT" "05.Quyet dinh ket nap dang vien.pdf"
run_sohoa 0 name suggest 104 --signed
assert_eq "$OUT" "104.To khai de nghi truy tang huy hieu dang_signed.pdf"
# Ambiguous: the candidates, exit 1.
run_sohoa 1 name suggest "Giấy giới thiệu"
assert_contains "$OUT" "55.Giay gioi thieu sinh hoat dang tam thoi.pdf"
assert_contains "$OUT" "39.Giay gioi thieu nguoi vao dang.pdf"
run_sohoa 1 --json name suggest "Giấy giới thiệu"
assert_eq "$(json_get "$OUT" 'd["file"]')" "None"
run_sohoa 1 name suggest "không có loại này"
assert_contains "$ERR" "sohoa catalog"
run_sohoa 2 name suggest 2 --seq 0
run_sohoa 2 name suggest

# Inside a workspace, [naming] signed_suffix applies.
new_workspace ws
sed -i 's/^signed_suffix = _signed/signed_suffix = .signed/' ws/sohoa.ini
(cd ws && "$SOHOA" name suggest 2 --signed > "$TMP/out")
assert_eq "$(cat "$TMP/out")" "02.Ly lich dang vien.signed.pdf"

# folder: the guide's example (its CCCD gives an implausible age: a warning, not an error).
run_sohoa 0 name folder --org 93.000.036.001.015 --cccd 012345678901 --name "Nguyễn Văn A"
assert_eq "$OUT" "93.000.036.001.015/012345678901_NguyenVanA"
assert_contains "$ERR" "name.cccd"
run_sohoa 0 name folder --org 93.000.036.001.015 --cccd 001085012345 --name "ĐỖ THỊ HỒNG"
assert_eq "$OUT" "93.000.036.001.015/001085012345_DoThiHong"
assert_eq "$ERR" "" "no warning for a plausible CCCD"
run_sohoa 1 name folder --org 93.00.036.001.015 --cccd 003085012345 --name "Nguyễn"
assert_contains "$ERR" "name.folder"
assert_contains "$ERR" "name.cccd"
assert_contains "$ERR" "name.person"
assert_eq "$OUT" "" "no folder printed for a failed check"
run_sohoa 1 --json name folder --org 93.000.036.001.015 --cccd 12345 --name "Nguyễn Văn A"
assert_eq "$(json_get "$OUT" 'd["findings"][0]["code"]')" "name.cccd"
assert_eq "$(json_get "$OUT" 'd["findings"][0]["severity"]')" "error"
run_sohoa 2 name folder --org 93.000.036.001.015
run_sohoa 2 name rename .
run_sohoa 2 name check
pass
