function __migfw_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __migfw_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __migfw_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __migfw_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __migfw_parse_tokens -S
    set -l unparsed_tokens (__migfw_tokens -pc)
    switch $unparsed_tokens[1]
    case 'migfw'
        __migfw_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'check'
            __migfw_parse_subcommand 0 'c/config=' 'json' 'version' 'h/help'
        case 'aggregate'
            __migfw_parse_subcommand -r 1 'exclude=+' 'format=' 'lenient' 'version' 'h/help'
        case 'compile'
            __migfw_parse_subcommand 0 'c/config=' 'format=' 'version' 'h/help'
        case 'plan'
            __migfw_parse_subcommand 0 'c/config=' 'netns=' 'state-dir=' 'json' 'verbose' 'version' 'h/help'
        case 'apply'
            __migfw_parse_subcommand 0 'c/config=' 'netns=' 'lock-file=' 'lock-timeout=' 'state-dir=' 'confirm=' 'verbose' 'rebuild' 'force' 'allow-missing-interface' 'verify=' 'no-verify' 'timings' 'version' 'h/help'
        case 'confirm'
            __migfw_parse_subcommand 0 'netns=' 'state-dir=' 'version' 'h/help'
        case 'reconcile'
            __migfw_parse_subcommand 0 'c/config=' 'netns=' 'lock-file=' 'lock-timeout=' 'state-dir=' 'metrics-file=' 'full' 'audit' 'audit-root=' 'version' 'h/help'
        case 'status'
            __migfw_parse_subcommand 0 'netns=' 'state-dir=' 'json' 'version' 'h/help'
        case 'delete'
            __migfw_parse_subcommand 0 'netns=' 'lock-file=' 'lock-timeout=' 'version' 'h/help'
        case 'audit'
            __migfw_parse_subcommand 0 'c/config=' 'netns=' 'root=' 'json' 'version' 'h/help'
        case 'render'
            __migfw_parse_subcommand 0 'c/config=' 'target=' 'o/output=' 'version' 'h/help'
        case 'profiles'
            __migfw_parse_subcommand 0 'version' 'h/help'
        case 'help'
            __migfw_parse_subcommand -r 1 'version'
        end
    end
end

function __migfw_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __migfw_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __migfw_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __migfw_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__migfw_tokens -p)
    if test -z "$(__migfw_tokens -t)"
        set -l index (count (__migfw_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'migfw' -f
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw" version' -l 'version' -d 'Show the version.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_positional "migfw" -eq 1' -fa 'check' -d 'Validate a policy file and lint it for security problems.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_positional "migfw" -eq 1' -fa 'aggregate' -d 'Merge prefix lists into the minimal exact CIDR cover (IPv4, then IPv6).'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_positional "migfw" -eq 1' -fa 'compile' -d 'Print the policy\'s ruleset (nft text, JSON, or the trusted CIDRs). Needs no privileges.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_positional "migfw" -eq 1' -fa 'plan' -d 'Show what apply would change in the kernel (a dry run).'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_positional "migfw" -eq 1' -fa 'apply' -d 'Load the policy\'s ruleset into the kernel (table inet migfw) atomically.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_positional "migfw" -eq 1' -fa 'confirm' -d 'Confirm a pending `apply --confirm`, so it keeps the new ruleset.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_positional "migfw" -eq 1' -fa 'reconcile' -d 'Repair drift between the kernel and the policy (for cron and systemd timers).'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_positional "migfw" -eq 1' -fa 'status' -d 'Show whether migfw\'s table (inet migfw, or bridge migfw for a bridged gateway) is loaded, its set sizes and rule counters.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_positional "migfw" -eq 1' -fa 'delete' -d 'Remove migfw\'s tables (inet migfw, bridge migfw; nothing else) from the kernel.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_positional "migfw" -eq 1' -fa 'audit' -d 'Check the hypervisor\'s own migration settings against the policy (read-only).'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_positional "migfw" -eq 1' -fa 'render' -d 'Write the policy as an idempotent PowerShell script for Windows. Needs no privileges.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_positional "migfw" -eq 1' -fa 'profiles' -d 'List the known hypervisor profiles, their ports and where each comes from.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_positional "migfw" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw check" c config' -s 'c' -l 'config' -d 'The policy file.' -rfa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw check" json' -l 'json' -d 'Print the findings as JSON for programs.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw check" version' -l 'version' -d 'Show the version.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw check" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw aggregate"' -l 'exclude' -d 'A prefix list whose addresses are removed (repeatable).' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw aggregate" format' -l 'format' -d 'cidr: one prefix a line; range: first-last a line; count: prefixes, ranges and addresses per family.' -rfka 'cidr range count'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw aggregate" lenient' -l 'lenient' -d 'Read 10.0.0.1/24 as 10.0.0.0/24 instead of rejecting host bits.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw aggregate" version' -l 'version' -d 'Show the version.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw aggregate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw compile" c config' -s 'c' -l 'config' -d 'The policy file.' -rfa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw compile" format' -l 'format' -d 'Output format.' -rfka 'nft json cidr'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw compile" version' -l 'version' -d 'Show the version.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw compile" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw plan" c config' -s 'c' -l 'config' -d 'The policy file.' -rfa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw plan" netns' -l 'netns' -d 'Work inside the network namespace /run/netns/NAME instead of the current one.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw plan" state-dir' -l 'state-dir' -d 'Where migfw keeps what it last applied (the fast path\'s evidence) and confirmation files.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw plan" json' -l 'json' -d 'Print the plan as JSON (schema: docs/operations.md, "Plan JSON").'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw plan" verbose' -l 'verbose' -d 'List every element instead of folding long lists to a count.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw plan" version' -l 'version' -d 'Show the version.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw plan" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" c config' -s 'c' -l 'config' -d 'The policy file.' -rfa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" netns' -l 'netns' -d 'Work inside the network namespace /run/netns/NAME instead of the current one.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" lock-file' -l 'lock-file' -d 'The lock that keeps two migfw runs from interleaving.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" lock-timeout' -l 'lock-timeout' -d 'Seconds to wait for another run to release the lock before giving up (exit 1).' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" state-dir' -l 'state-dir' -d 'Where migfw keeps what it last applied (the fast path\'s evidence) and confirmation files.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" confirm' -l 'confirm' -d 'Roll back unless confirmed within SECONDS (`migfw confirm` or Enter).' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" verbose' -l 'verbose' -d 'List every element instead of folding long lists to a count.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" rebuild' -l 'rebuild' -d 'Replace the whole table (delete + create, one transaction) instead of applying the plan.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" force' -l 'force' -d 'Apply even when, in dedicated mode, the migration NIC carries the default route or this SSH session.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" allow-missing-interface' -l 'allow-missing-interface' -d 'Load the rules even when the policy\'s interface does not exist yet (the boot unit: a VLAN, bond or bridge NIC may come later); warns instead of refusing.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" verify' -l 'verify' -d 'What to read back after the commit: none, structure (table, chains, rules, set definitions) or full (every element too). Default: full when the table is created or replaced, structure for a plan.' -rfka 'none structure full'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" no-verify' -l 'no-verify' -d 'Read nothing back after the commit (--verify none).'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" timings' -l 'timings' -d 'Print where the time went, phase by phase (policy load, lint, compile, snapshot, plan, commit, verify).'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" version' -l 'version' -d 'Show the version.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw apply" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw confirm" netns' -l 'netns' -d 'Work inside the network namespace /run/netns/NAME instead of the current one.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw confirm" state-dir' -l 'state-dir' -d 'Where migfw keeps what it last applied (the fast path\'s evidence) and confirmation files.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw confirm" version' -l 'version' -d 'Show the version.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw confirm" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw reconcile" c config' -s 'c' -l 'config' -d 'The policy file.' -rfa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw reconcile" netns' -l 'netns' -d 'Work inside the network namespace /run/netns/NAME instead of the current one.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw reconcile" lock-file' -l 'lock-file' -d 'The lock that keeps two migfw runs from interleaving.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw reconcile" lock-timeout' -l 'lock-timeout' -d 'Seconds to wait for another run to release the lock before giving up (exit 1).' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw reconcile" state-dir' -l 'state-dir' -d 'Where migfw keeps what it last applied (the fast path\'s evidence) and confirmation files.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw reconcile" metrics-file' -l 'metrics-file' -d 'Write Prometheus textfile metrics here (e.g. for node_exporter).' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw reconcile" full' -l 'full' -d 'Skip the fast path: dump and compare everything.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw reconcile" audit' -l 'audit' -d 'Also audit the hypervisor\'s own migration settings (as `migfw audit`): counts in the metrics (migfw_audit_findings), new error findings logged, the summary in `migfw status`.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw reconcile" audit-root' -l 'audit-root' -d 'With --audit: read the hypervisor\'s files under this directory instead of /.' -rfa '(__migfw_complete_directories)'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw reconcile" version' -l 'version' -d 'Show the version.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw reconcile" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw status" netns' -l 'netns' -d 'Work inside the network namespace /run/netns/NAME instead of the current one.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw status" state-dir' -l 'state-dir' -d 'Where migfw keeps what it last applied (the fast path\'s evidence) and confirmation files.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw status" json' -l 'json' -d 'Print JSON instead of text.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw status" version' -l 'version' -d 'Show the version.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw delete" netns' -l 'netns' -d 'Work inside the network namespace /run/netns/NAME instead of the current one.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw delete" lock-file' -l 'lock-file' -d 'The lock that keeps two migfw runs from interleaving.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw delete" lock-timeout' -l 'lock-timeout' -d 'Seconds to wait for another run to release the lock before giving up (exit 1).' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw delete" version' -l 'version' -d 'Show the version.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw delete" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw audit" c config' -s 'c' -l 'config' -d 'The policy file.' -rfa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw audit" netns' -l 'netns' -d 'Work inside the network namespace /run/netns/NAME instead of the current one.' -rfka ''
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw audit" root' -l 'root' -d 'Read the hypervisor\'s files under this directory instead of /.' -rfa '(__migfw_complete_directories)'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw audit" json' -l 'json' -d 'Print the findings as JSON for programs.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw audit" version' -l 'version' -d 'Show the version.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw audit" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw render" c config' -s 'c' -l 'config' -d 'The policy file.' -rfa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw render" target' -l 'target' -d 'What the script configures: hyperv, ad.' -rfka 'hyperv ad'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw render" o output' -s 'o' -l 'output' -d 'Write the script to this file instead of standard output.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'ps1\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw render" version' -l 'version' -d 'Show the version.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw render" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw profiles" version' -l 'version' -d 'Show the version.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw profiles" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'migfw' -n '__migfw_should_offer_completions_for_flags_or_options "migfw help" version' -l 'version' -d 'Show the version.'
