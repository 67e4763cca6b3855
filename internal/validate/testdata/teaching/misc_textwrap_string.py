import string
import textwrap

para = ("Python is a programming language that lets you work quickly and integrate "
        "systems more effectively.")
print(textwrap.fill(para, width=30))
print(textwrap.shorten(para, width=40, placeholder=" ..."))
t = string.Template("Dear $name, your order #$order has shipped.")
print(t.substitute(name="Ada", order=1042))
print(string.ascii_uppercase[:5], string.digits, string.punctuation[:5])
