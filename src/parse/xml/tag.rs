//! Element names of the valgrind XML protocol, as a small enum: the parser
//! keeps the path of open elements and matches on it, which is cheaper and
//! clearer than comparing byte strings at every event.

macro_rules! tags {
    ($($variant:ident = $name:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Tag {
            $($variant,)*
            /// Anything else (thread announcements, fd errors, a newer
            /// protocol's additions): walked through, not read.
            Other,
        }

        impl Tag {
            pub fn of(name: &[u8]) -> Tag {
                match std::str::from_utf8(name) {
                    $(Ok($name) => Tag::$variant,)*
                    _ => Tag::Other,
                }
            }

            /// The element name, for messages.
            pub fn name(self) -> &'static str {
                match self {
                    $(Tag::$variant => $name,)*
                    Tag::Other => "…",
                }
            }
        }
    };
}

tags! {
    ValgrindOutput = "valgrindoutput",
    ProtocolVersion = "protocolversion",
    ProtocolTool = "protocoltool",
    Preamble = "preamble",
    Line = "line",
    Pid = "pid",
    Ppid = "ppid",
    Tool = "tool",
    UserComment = "usercomment",
    Args = "args",
    Vargv = "vargv",
    Argv = "argv",
    Exe = "exe",
    Arg = "arg",
    Status = "status",
    State = "state",
    Error = "error",
    Unique = "unique",
    Kind = "kind",
    What = "what",
    XWhat = "xwhat",
    AuxWhat = "auxwhat",
    XAuxWhat = "xauxwhat",
    Text = "text",
    LeakedBytes = "leakedbytes",
    LeakedBlocks = "leakedblocks",
    Stack = "stack",
    Frame = "frame",
    Ip = "ip",
    Obj = "obj",
    Fn = "fn",
    Dir = "dir",
    File = "file",
    Suppression = "suppression",
    SName = "sname",
    SFrame = "sframe",
    Fun = "fun",
    RawText = "rawtext",
    ErrorCounts = "errorcounts",
    SuppCounts = "suppcounts",
    Pair = "pair",
    Count = "count",
    Name = "name",
    FatalSignal = "fatal_signal",
    Signo = "signo",
    Signame = "signame",
    HeapSummary = "heap_summary",
    MemoryInUseAtExit = "memory_in_use_at_exit",
    TotalHeapUsage = "total_heap_usage",
    Bytes = "bytes",
    Blocks = "blocks",
    InBlocks = "in_blocks",
    Allocs = "allocs",
    Frees = "frees",
    BytesAllocated = "bytes_allocated",
    AllHeapBlocksFreed = "all_heap_blocks_freed",
    LeakSummary = "leak_summary",
    DefinitelyLost = "definitely_lost",
    IndirectlyLost = "indirectly_lost",
    PossiblyLost = "possibly_lost",
    StillReachable = "still_reachable",
    ReachableHeuristic = "reachable_heuristic",
    Suppressed = "suppressed",
    ErrorSummary = "error_summary",
    Errors = "errors",
    ErrorContexts = "error_contexts",
    SuppressedContexts = "suppressed_contexts",
}
