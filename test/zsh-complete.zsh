#!/usr/bin/zsh -f
# Run zsh's completion system on a command line, as a user pressing Tab
# would, and list the candidates it offers.
#
#     zsh -f test/zsh-complete.zsh FPATH_DIR OUT_FILE 'pgmig up --c'
#
# zle, which runs completion widgets, needs a terminal: the line is typed
# into an interactive zsh on a pseudo-terminal (zsh/zpty), with compinit
# and FPATH_DIR (where _pgmig is) first on its fpath.  Every compadd that
# adds candidates (-O, -A and -D only ask) writes those that match what is
# typed to OUT_FILE, one a line; the Tab widget then writes "--end--".
# Used by t/140_manual.pl, under a timeout.
zmodload zsh/zpty || exit 1
local dir=$1 out=$2 line=$3 got
zpty comp zsh -f -i
zpty -w comp "PS1='' PROMPT_EOL_MARK='' fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w comp "compadd() { if (( ! \${@[(I)-[OAD]]} )); then local -a m; builtin compadd -O m \"\$@\"; (( \$#m )) && print -rl -- \$m >> ${(q)out}; fi; builtin compadd \"\$@\"; }"
zpty -w comp "_test_complete() { _main_complete; print -r -- --end-- >> ${(q)out}; }; zle -C test-complete complete-word _test_complete; bindkey '^I' test-complete"
zpty -w comp "zstyle ':completion:*' list-prompt ''; print set''up-done"
zpty -r comp got '*setup-done*'
zpty -w -n comp "$line"$'\t'
until [[ -f $out ]] && grep -qx -- --end-- $out; do
	sleep 0.05
done
zpty -d comp
