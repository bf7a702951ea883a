"""The office mailbox as an inbox: messages in, workbooks saved, answers threaded."""
