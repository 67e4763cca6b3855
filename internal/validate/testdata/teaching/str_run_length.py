def encode(s):
    if not s:
        return ""
    out = []
    current, count = s[0], 1
    for ch in s[1:]:
        if ch == current:
            count += 1
        else:
            out.append(f"{count}{current}")
            current, count = ch, 1
    out.append(f"{count}{current}")
    return "".join(out)


def decode(s):
    result, number = "", ""
    for ch in s:
        if ch.isdigit():
            number += ch
        else:
            result += ch * int(number)
            number = ""
    return result


packed = encode("WWWWBBBWWC")
print(packed, decode(packed))
