/* guard-index.h - the mail_index transaction hook: every index commit of
 * every index passes the fence, and asks for an fdatasync of the log when
 * hb_guard_fsync contains "log". */
#ifndef GUARD_INDEX_H
#define GUARD_INDEX_H

void guard_index_init(void);
void guard_index_deinit(void);
struct mail_index;

/* How many index commits this process made: unchanged means no state file
   was replaced by this process in between. */
unsigned int guard_index_commits(void);
/* what commits with changes a client is answered about changed */
struct guard_acked_commit {
	/* flags, keywords or expunges: file names/entries change for them */
	bool file_changes;
	/* with file_changes: the log position after the last such commit */
	uint32_t log_seq;
	uoff_t log_offset;
};

/* Whether commits of index with changes a client is answered about were
   made since the last call (once), and what they changed. */
bool guard_index_take_acked_commit(struct mail_index *index,
				   struct guard_acked_commit *commit_r);

#endif
