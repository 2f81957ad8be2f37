# milter/local.mk - hummingbird-milter, the Postfix policy milter (included
# from the top Makefile.am; docs/MILTER.md).
