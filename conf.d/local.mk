# conf.d/local.mk - configuration snippets installed to $(sysconfdir)/hummingbird/conf.d
