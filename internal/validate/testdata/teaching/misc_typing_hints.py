from typing import Dict, List, Optional, Tuple, Union


def parse_pair(text: str) -> Optional[Tuple[str, int]]:
    if "=" not in text:
        return None
    key, value = text.split("=", 1)
    return key.strip(), int(value)


def totals(pairs: List[Tuple[str, int]]) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for k, v in pairs:
        out[k] = out.get(k, 0) + v
    return out


def show(x: Union[int, str]) -> str:
    return f"<{x}>"


parsed = [p for p in map(parse_pair, ["a=1", "b = 2", "junk", "a=5"]) if p]
print(totals(parsed), show(3), show("x"))
