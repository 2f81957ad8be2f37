# admin/local.mk - hummingbird-admind, the TLS admin service for delegated
# domain admins (included from the top Makefile.am; docs/ADMIND.md).
