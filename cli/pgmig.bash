# bash completion for pgmig(1): commands, their options, and revision ids
# and targets from the project's migrations folder.
#
# make install puts it in BASHCOMPDIR (default
# /usr/local/share/bash-completion/completions), where bash-completion
# finds it; or source it from ~/.bashrc.
#
# What a command takes is asked from pgmig itself ("pgmig help CMD" lists
# its options, "pgmig history --offline --json" the revisions), so that the
# completion follows the client it comes with.

_pgmig_commands()
{
	pgmig --help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p'
}

_pgmig_options()
{
	# every --long and -s option the command's help lists
	pgmig help "$1" 2>/dev/null | grep -o -- '\(^\|[ ,]\)--\?[a-zA-Z][-a-zA-Z]*' |
		sed 's/^[ ,]*//; s/=.*//' | sort -u
}

_pgmig_revisions()
{
	# the ids of the folder's revisions, read offline; then the targets
	pgmig history --offline --json 2>/dev/null | grep -o '"revision":"[^"]*"' |
		sed 's/^"revision":"//; s/"$//'
	printf '%s\n' head heads base current
}

_pgmig()
{
	local cur=${COMP_WORDS[COMP_CWORD]}
	local cmd="" i

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		# the options whose value is the next word
		-d | -h | -p | -U | -m | -r | -j | --dbname | --host | --port | --username | \
			--message | --revision | --dir | --format | --lock-timeout | --lock-retries | \
			--schema | --shadow-url | --wait-for-replicas | --jobs | --databases)
			# "--dir=x" comes as "--dir", "=", "x"
			[ "${COMP_WORDS[i + 1]}" = "=" ] && ((i++))
			((i++))
			;;
		-*) ;;
		*)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done

	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W '--help --version --dir --quiet' -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_pgmig_commands)" -- "$cur")
		fi
		return 0
	fi
	# the value of an option that names a file or a folder
	local prev=${COMP_WORDS[COMP_CWORD - 1]}
	[ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 2 ] && prev=${COMP_WORDS[COMP_CWORD - 2]}
	case $prev in
	--databases)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	--dir)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return 0
		;;
	esac
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_pgmig_options "$cmd")" -- "$cur")
		return 0
	fi
	case $cmd in
	up | down | redo | verify | show | stamp)
		mapfile -t COMPREPLY < <(compgen -W "$(_pgmig_revisions)" -- "$cur")
		;;
	help)
		mapfile -t COMPREPLY < <(compgen -W "$(_pgmig_commands)" -- "$cur")
		;;
	esac
	return 0
}

complete -F _pgmig pgmig
