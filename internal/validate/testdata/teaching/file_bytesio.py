import io
import struct

buf = io.BytesIO()
for value in (1, 256, 65535):
    buf.write(struct.pack("<I", value))
buf.seek(0)
while chunk := buf.read(4):
    print(struct.unpack("<I", chunk)[0])
