# Outbound rules that migfw owns (the policy's egress: true): this host may open migration
# connections only to the trusted set, so a Block rule covers the remote ports given for
# every other address. Found, compared and updated like Sync-MigfwFirewallRule, with the
# port on the remote side: direction Outbound, remote ports as a set, local port Any
# (Get-NetFirewallPortFilter reads back Protocol, LocalPort and RemotePort; New- and
# Set-NetFirewallRule take -Direction and -RemotePort, per Microsoft's NetSecurity docs).
function Sync-MigfwEgressRule {
    param(
        [string]$Name,
        [string]$Action,
        [string]$Protocol,
        [string[]]$RemotePort,
        [string]$InterfaceAlias,
        [string[]]$RemoteAddress
    )
    $alias = 'Any'
    if ($InterfaceAlias) { $alias = $InterfaceAlias }
    $subject = 'firewall rule ' + $Name
    $rule = @(Get-NetFirewallRule -Name $Name -ErrorAction SilentlyContinue)
    if ($rule.Count -gt 0 -and [string]$rule[0].Group -ne $script:MigfwGroup) {
        Write-MigfwDifference $subject ('belongs to group ''' + $rule[0].Group + ''', not ''' + $script:MigfwGroup + ''': recreate it')
        if (Approve-MigfwChange $Name 'Remove firewall rule (wrong group)') {
            $rule[0] | Remove-NetFirewallRule -Confirm:$false
        }
        else {
            return
        }
        $rule = @()
    }
    if ($rule.Count -eq 0) {
        Write-MigfwDifference $subject ('missing: create ' + $Action + ' outbound ' + $Protocol + ' to remote port ' + ($RemotePort -join ',') + ' on ' + $alias + ' for ' + $RemoteAddress.Count + ' address entries')
        if (Approve-MigfwChange $Name ('Create firewall rule: ' + $Action + ' outbound ' + $Protocol + ' remote port ' + ($RemotePort -join ','))) {
            $parameters = @{
                Name = $Name
                DisplayName = 'migfw ' + $Name
                Description = 'Live migration egress rule managed by migfw; do not edit, render the policy again.'
                Group = $script:MigfwGroup
                Profile = 'Any'
                Enabled = 'True'
            }
            if ($InterfaceAlias) { $parameters.InterfaceAlias = $InterfaceAlias }
            New-NetFirewallRule @parameters -Direction 'Outbound' -Action $Action -Protocol $Protocol -RemotePort $RemotePort -RemoteAddress $RemoteAddress -Confirm:$false | Out-Null
        }
        return
    }
    $current = $rule[0]
    $differences = New-Object System.Collections.ArrayList
    if ([string]$current.Enabled -ne 'True') { [void]$differences.Add('disabled') }
    if ([string]$current.Direction -ne 'Outbound') { [void]$differences.Add('direction ' + $current.Direction) }
    if ([string]$current.Action -ne $Action) { [void]$differences.Add('action ' + $current.Action) }
    if ([string]$current.Profile -ne 'Any') { [void]$differences.Add('profile ' + $current.Profile) }
    $ports = $current | Get-NetFirewallPortFilter
    if ([string]$ports.Protocol -ne $Protocol) { [void]$differences.Add('protocol ' + $ports.Protocol) }
    $haveRemotePorts = (@($ports.RemotePort) | ForEach-Object { [string]$_ } | Sort-Object) -join ','
    $wantRemotePorts = (@($RemotePort) | Sort-Object) -join ','
    if ($haveRemotePorts -ne $wantRemotePorts) { [void]$differences.Add('remote ports ' + $haveRemotePorts) }
    $haveLocalPorts = (@($ports.LocalPort) | ForEach-Object { [string]$_ }) -join ','
    if ($haveLocalPorts -ne 'Any') { [void]$differences.Add('local ports ' + $haveLocalPorts) }
    $interfaces = $current | Get-NetFirewallInterfaceFilter
    $haveAlias = (@($interfaces.InterfaceAlias) | ForEach-Object { [string]$_ }) -join ','
    if ($haveAlias -ne $alias) { [void]$differences.Add('interface ' + $haveAlias) }
    $addresses = $current | Get-NetFirewallAddressFilter
    $haveAddresses = @($addresses.RemoteAddress)
    if ((Get-MigfwAddressKey $haveAddresses) -ne (Get-MigfwAddressKey $RemoteAddress)) {
        [void]$differences.Add('remote addresses differ (' + $haveAddresses.Count + ' entries, want ' + $RemoteAddress.Count + ')')
    }
    if ($differences.Count -eq 0) { return }
    Write-MigfwDifference $subject ($differences -join '; ')
    if (Approve-MigfwChange $Name 'Update firewall rule') {
        # 'Any' is the port keyword for no port condition (NetworkingDsc writes it the same way).
        Set-NetFirewallRule -Name $Name -Direction 'Outbound' -Action $Action -Profile 'Any' -Enabled 'True' -Protocol $Protocol -LocalPort 'Any' -RemotePort $RemotePort -RemoteAddress $RemoteAddress -InterfaceAlias $alias -Confirm:$false
    }
}
