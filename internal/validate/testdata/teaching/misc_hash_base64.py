import base64
import hashlib

message = "learning is fun".encode()
print(hashlib.sha256(message).hexdigest()[:16])
print(hashlib.md5(message).hexdigest())
encoded = base64.b64encode(message)
print(encoded, base64.b64decode(encoded).decode())
