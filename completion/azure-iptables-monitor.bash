# bash completion for azure-iptables-monitor: its commands, options and the
# values they take. Installed to /usr/share/bash-completion/completions/ by
# the .deb and the .rpm. Self-contained (no bash-completion helpers), so it
# also works when sourced by hand.
_azure_iptables_monitor() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  local global="-h --help --version -v --v --backend --input --input6 --ipv6 --nftables
    --no-nftables --kubeconfig --node-name --events --interval --unknown-grace
    --watch-ciliumnode --no-watch-ciliumnode --watch-rules --no-watch-rules --min-check-interval
    --terminateOnSuccess --checkMap --mapPath --installRoutesForHealthProbeReply
    --metrics-file --listen --request-timeout --env-file --exec-condition"
  local commands="rules check validate unlabel"
  # After a command: its own options and the program's options it uses, as
  # `azure-iptables-monitor COMMAND --help` lists them; not the service's.
  local rules_options="-h --help --family --format -v --v --backend --nftables --no-nftables
    --env-file"
  local check_options="-h --help --dry-run --output -v --v --backend --input --input6 --ipv6
    --nftables --no-nftables --kubeconfig --node-name --events --request-timeout --env-file"
  local validate_options="-h --help --strict -v --v --input --input6 --ipv6 --env-file"
  local unlabel_options="-h --help -v --v --kubeconfig --node-name --request-timeout --env-file"

  # --flag=value: bash splits the word at '=' (COMP_WORDBREAKS).
  local flag=$prev
  if [[ $cur == "=" ]]; then
    cur=
  elif [[ $prev == "=" ]] && ((COMP_CWORD >= 2)); then
    flag=${COMP_WORDS[COMP_CWORD - 2]}
  fi
  case $flag in
    --backend) COMPREPLY=($(compgen -W "auto legacy nft" -- "$cur")); return ;;
    --family) COMPREPLY=($(compgen -W "4 6 all" -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "tsv save json" -- "$cur")); return ;;
    --output) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
    --nftables | --ipv6 | --events)
      # Only after "=": a bare switch takes no value.
      if [[ $prev == "=" || ${COMP_WORDS[COMP_CWORD]} == "=" ]]; then
        COMPREPLY=($(compgen -W "true false" -- "$cur"))
        return
      fi
      ;;
    --input | --input6)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -d -- "$cur"))
      return
      ;;
    --kubeconfig | --mapPath | --metrics-file | --env-file)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur"))
      return
      ;;
    # A number or a name: nothing to offer.
    -v | --v | --interval | --unknown-grace | --min-check-interval | --request-timeout | --node-name | --listen) return ;;
  esac

  local i command=
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      rules | check | validate | unlabel)
        command=${COMP_WORDS[i]}
        break
        ;;
    esac
  done
  if [[ $cur == -* ]]; then
    local offer=$global
    [[ $command == rules ]] && offer=$rules_options
    [[ $command == check ]] && offer=$check_options
    [[ $command == validate ]] && offer=$validate_options
    [[ $command == unlabel ]] && offer=$unlabel_options
    COMPREPLY=($(compgen -W "$offer" -- "$cur"))
    return
  fi
  [[ -z $command ]] && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
  return 0
}
complete -F _azure_iptables_monitor azure-iptables-monitor
