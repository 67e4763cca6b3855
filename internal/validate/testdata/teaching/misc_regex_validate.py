import re

EMAIL = re.compile(r"^[\w.+-]+@[\w-]+\.[\w.]+$")
for address in ["ada@example.com", "not-an-email", "x@y.org", "a b@c.de"]:
    print(address, bool(EMAIL.match(address)))

log = "2024-01-05 ERROR disk full; 2024-01-06 WARN cpu hot; 2024-01-07 ERROR oom"
print(re.findall(r"(\d{4}-\d\d-\d\d) ERROR (\w+ ?\w*)", log))
print(re.sub(r"\d", "#", "call 555-0101"))
