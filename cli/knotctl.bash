# SPDX-License-Identifier: MIT
# knotctl.bash - bash completion for knotctl(1): commands, each command's options, and areas and serials asked from knotd.
#
# Plain bash (compgen), so it works with or without the bash-completion
# package. Areas, routines and serials come from the running knotd (knotctl
# --json areas / routines / devices, on the socket the command line names);
# when knotd is not running they are simply not offered, and nothing is
# printed. The sides, left and right, go with the areas that have them.

# Every command, and the options each one uses (knotctl.c's command table and
# its options table: -d picks a massager, --detach is start's alone).
_knotctl_commands="version devices status areas start routines routine stop up down ouch go watch checkin history doctor help"
_knotctl_sides="left right"
_knotctl_options_for() {
    case "$1" in
    version|devices|areas|routines) echo "-s --socket --json" ;;
    status|stop|up|down|ouch|go|watch) echo "-s --socket -d --device --json" ;;
    start) echo "-s --socket -d --device --json --detach --warmed-up --auto-ramp --side" ;;
    routine) echo "-s --socket -d --device --json --warmed-up" ;;
    checkin) echo "-s --socket --json --pain --numbness --tingling --weakness --swelling --bruising --sleep --note --clear --yes --side" ;;
    history) echo "-s --socket --json --days --csv --side" ;;
    doctor) echo "-s --socket -d --device" ;;
    help) ;;
    # Before the command: every option, and knotctl's own -h and -V.
    *) echo "-s --socket -d --device --json --detach -h --help -V --version" ;;
    esac
}

# knotctl as the line names it (a build tree's, say), else the one on PATH.
_knotctl_prog() {
    local p=${COMP_WORDS[0]}
    [[ $p == "~/"* ]] && p=$HOME/${p#"~/"}
    if [[ $p == */* && -x $p ]] || type -P "$p" >/dev/null 2>&1; then
        printf '%s\n' "$p"
    else
        printf 'knotctl\n'
    fi
}

# One JSON reply from knotd, on the socket the line names (-s, --socket);
# nothing when knotd is not there. At most 2 s: a wedged knotd must not hang
# the shell (knotctl's own limit is 5 s).
_knotctl_ask() {
    local prog sock="" i w
    prog=$(_knotctl_prog)
    for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
        w=${COMP_WORDS[i]}
        case "$w" in
        -s|--socket) [[ ${COMP_WORDS[i+1]} == "=" ]] && sock=${COMP_WORDS[i+2]} || sock=${COMP_WORDS[i+1]} ;;
        -s?*) sock=${w#-s} ;;
        esac
    done
    if [[ -n $sock ]]; then
        timeout 2 "$prog" -s "$sock" --json "$@" 2>/dev/null
    else
        timeout 2 "$prog" --json "$@" 2>/dev/null
    fi
}

# One area per line: the areas reply split where each area object begins.
_knotctl_area_lines() {
    _knotctl_ask areas | sed 's/[{,]"name":"/\n&/g' | grep '^[{,]"name":"'
}

# Area names; with "gun", only those the massager may be used on (start);
# with "sides" too, only those that come in pairs (after "left", "right").
_knotctl_areas() {
    local lines
    lines=$(_knotctl_area_lines)
    [[ $1 == gun ]] && lines=$(grep -v '"gun":false' <<<"$lines")
    [[ $2 == sides ]] && lines=$(grep '"sides":\["' <<<"$lines")
    sed -n 's/^[{,]"name":"\([A-Za-z0-9-]*\)".*/\1/p' <<<"$lines"
}

# The side words, when knotd knows an area (one the massager belongs on, with
# "gun") that comes in pairs; none otherwise, and none without knotd.
_knotctl_side_words() {
    [[ -n $sides && -n $(_knotctl_areas "$1" sides) ]] && echo "$sides"
}

# Whether knotd says the area (a name) comes in pairs.
_knotctl_has_sides() {
    _knotctl_area_lines | grep "^[{,]\"name\":\"$1\"" | grep -q '"sides":\["'
}

_knotctl_routines() {
    _knotctl_ask routines | grep -o '[{,]"name":"[^"\\]*","title"' | sed 's/^[{,]"name":"\(.*\)","title"$/\1/'
}

# 1 to the area's max_level (1 to 8 when knotd does not say).
_knotctl_levels() {
    local max
    max=$(_knotctl_area_lines | grep "^[{,]\"name\":\"$1\"" | sed -n 's/.*"max_level":\([0-9]*\).*/\1/p')
    seq 1 "${max:-8}"
}

_knotctl_serials() {
    _knotctl_ask devices | grep -o '[{,]"serial":"[^"\\]*"' | sed 's/^[{,]"serial":"\(.*\)"$/\1/'
}

_knotctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd="" i w sides=$_knotctl_sides
    local -a args=()
    COMPREPLY=()

    # --socket=PATH arrives as three words: --socket, =, PATH.
    if [[ $cur == "=" ]]; then
        cur=""
        prev=${COMP_WORDS[COMP_CWORD-1]}
    elif [[ $prev == "=" ]]; then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    fi
    case "$prev" in
    -s|--socket)
        COMPREPLY=($(compgen -f -- "$cur"))
        return 0 ;;
    -d|--device)
        COMPREPLY=($(compgen -W "$(_knotctl_serials)" -- "$cur"))
        return 0 ;;
    --pain)
        COMPREPLY=($(compgen -W "$(seq 0 10)" -- "$cur"))
        return 0 ;;
    --side)
        COMPREPLY=($(compgen -W "$_knotctl_sides" -- "$cur"))
        return 0 ;;
    --note|--days)
        return 0 ;;   # free text, a number: nothing to offer
    esac

    # The command and its arguments so far, skipping options and their values.
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case "$w" in
        -s|--socket|-d|--device|--pain|--note|--days|--side)
            [[ $w == --side ]] && sides=""   # said already: no side words to offer
            [[ ${COMP_WORDS[i+1]} == "=" ]] && ((i++))
            ((i++)) ;;
        -*|=) ;;
        *) if [[ -z $cmd ]]; then cmd=$w; else args+=("$w"); fi ;;
        esac
    done

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_knotctl_options_for "$cmd")" -- "$cur"))
        return 0
    fi
    case "$cmd" in
    "") COMPREPLY=($(compgen -W "$_knotctl_commands" -- "$cur")) ;;
    areas) ((${#args[@]} == 0)) && COMPREPLY=($(compgen -W "$(_knotctl_areas)" -- "$cur")) ;;
    # "left calf" or "calves left": a side first, then an area that has one; or after the area.
    checkin|history)
        if ((${#args[@]} == 0)); then
            COMPREPLY=($(compgen -W "$(_knotctl_areas) $(_knotctl_side_words all)" -- "$cur"))
        elif ((${#args[@]} == 1)) && [[ " $_knotctl_sides " == *" ${args[0]} "* ]]; then
            COMPREPLY=($(compgen -W "$(_knotctl_areas all sides)" -- "$cur"))
        elif ((${#args[@]} == 1)) && [[ -n $sides ]] && _knotctl_has_sides "${args[0]}"; then
            COMPREPLY=($(compgen -W "$sides" -- "$cur"))
        fi ;;
    start)
        local area=${args[0]} side=""
        if ((${#args[@]} >= 1)) && [[ " $_knotctl_sides " == *" ${args[0]} "* ]]; then
            side=${args[0]} area=${args[1]}
            args=("${args[@]:1}")
        fi
        if [[ -z $area ]] && ((${#args[@]} == 0)); then
            if [[ -n $side ]]; then
                COMPREPLY=($(compgen -W "$(_knotctl_areas gun sides)" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(_knotctl_areas gun) $(_knotctl_side_words gun)" -- "$cur"))
            fi
        elif ((${#args[@]} == 1)); then
            # After an area of two sides and none said yet: the sides, then the levels.
            local more=""
            [[ -z $side && -n $sides ]] && _knotctl_has_sides "$area" && more=$sides
            COMPREPLY=($(compgen -W "$more $(_knotctl_levels "$area")" -- "$cur"))
        elif ((${#args[@]} == 2)) && [[ " $_knotctl_sides " == *" ${args[1]} "* ]]; then
            COMPREPLY=($(compgen -W "$(_knotctl_levels "$area")" -- "$cur"))
        fi ;;
    routine) ((${#args[@]} == 0)) && COMPREPLY=($(compgen -W "$(_knotctl_routines)" -- "$cur")) ;;
    # doctor's CONFIG: a settings file.
    doctor) ((${#args[@]} == 0)) && COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
    return 0
}

complete -F _knotctl knotctl
