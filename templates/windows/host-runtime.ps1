# Firewall rules that migfw owns, whatever the firewall's own order, and all checks on
# them compare values (ports as a set, addresses as intervals), never raw text.
function Sync-MigfwFirewallRule {
    param(
        [string]$Name,
        [string]$Action,
        [string]$Protocol,
        [string[]]$LocalPort,
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
        Write-MigfwDifference $subject ('missing: create ' + $Action + ' ' + $Protocol + ' ' + ($LocalPort -join ',') + ' on ' + $alias + ' from ' + $RemoteAddress.Count + ' address entries')
        if (Approve-MigfwChange $Name ('Create firewall rule: ' + $Action + ' inbound ' + $Protocol + ' ' + ($LocalPort -join ','))) {
            $parameters = @{
                Name = $Name
                DisplayName = 'migfw ' + $Name
                Description = 'Live migration firewall rule managed by migfw; do not edit, render the policy again.'
                Group = $script:MigfwGroup
                Direction = 'Inbound'
                Action = $Action
                Profile = 'Any'
                Enabled = 'True'
                Protocol = $Protocol
                LocalPort = $LocalPort
                RemoteAddress = $RemoteAddress
            }
            if ($InterfaceAlias) { $parameters.InterfaceAlias = $InterfaceAlias }
            New-NetFirewallRule @parameters -Confirm:$false | Out-Null
        }
        return
    }
    $current = $rule[0]
    $differences = New-Object System.Collections.ArrayList
    if ([string]$current.Enabled -ne 'True') { [void]$differences.Add('disabled') }
    if ([string]$current.Direction -ne 'Inbound') { [void]$differences.Add('direction ' + $current.Direction) }
    if ([string]$current.Action -ne $Action) { [void]$differences.Add('action ' + $current.Action) }
    if ([string]$current.Profile -ne 'Any') { [void]$differences.Add('profile ' + $current.Profile) }
    $ports = $current | Get-NetFirewallPortFilter
    if ([string]$ports.Protocol -ne $Protocol) { [void]$differences.Add('protocol ' + $ports.Protocol) }
    $havePorts = (@($ports.LocalPort) | ForEach-Object { [string]$_ } | Sort-Object) -join ','
    $wantPorts = (@($LocalPort) | Sort-Object) -join ','
    if ($havePorts -ne $wantPorts) { [void]$differences.Add('local ports ' + $havePorts) }
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
        $parameters = @{
            Name = $Name
            Direction = 'Inbound'
            Action = $Action
            Profile = 'Any'
            Enabled = 'True'
            Protocol = $Protocol
            LocalPort = $LocalPort
            RemoteAddress = $RemoteAddress
            InterfaceAlias = $alias
        }
        Set-NetFirewallRule @parameters -Confirm:$false
    }
}

# Rules in migfw's group that this policy no longer has (e.g. parts of a smaller set).
function Remove-MigfwStaleRules {
    param([string[]]$Keep)
    foreach ($rule in @(Get-NetFirewallRule -Group $script:MigfwGroup -ErrorAction SilentlyContinue)) {
        if ($Keep -contains $rule.Name) { continue }
        Write-MigfwDifference ('firewall rule ' + $rule.Name) 'not in the policy: remove it'
        if (Approve-MigfwChange $rule.Name 'Remove firewall rule') {
            $rule | Remove-NetFirewallRule -Confirm:$false
        }
    }
}

# Enabled inbound allow rules of others on a migration port that admit any source, such
# as Hyper-V's built-in 'Hyper-V (MIG-TCP-In)': found by port, disabled, never deleted.
# Scoped allow rules of others are only reported: migfw's block rule overrides them.
function Disable-MigfwOpenMigrationRules {
    param([string]$Protocol, [string]$LocalPort)
    $filters = @(Get-NetFirewallPortFilter -Protocol $Protocol | Where-Object { @($_.LocalPort) -contains $LocalPort })
    # Never pipe nothing into Get-NetFirewallRule: without input it could list every rule.
    if ($filters.Count -eq 0) { return }
    foreach ($rule in @($filters | Get-NetFirewallRule)) {
        if ([string]$rule.Group -eq $script:MigfwGroup) { continue }
        $ports = $rule | Get-NetFirewallPortFilter
        if ([string]$ports.Protocol -ne $Protocol -or @($ports.LocalPort) -notcontains $LocalPort) { continue }
        if ([string]$rule.Direction -ne 'Inbound' -or [string]$rule.Action -ne 'Allow' -or [string]$rule.Enabled -ne 'True') { continue }
        $remote = @(($rule | Get-NetFirewallAddressFilter).RemoteAddress)
        $subject = 'firewall rule ' + $rule.Name + ' (' + $rule.DisplayName + ')'
        if ((Get-MigfwAddressKey $remote) -ne 'k:any') {
            Write-Host ('  note: ' + $subject + ' also allows ' + $Protocol + ' ' + $LocalPort + ' from ' + ($remote -join ',') + '; migfw''s block rule still applies')
            continue
        }
        Write-MigfwDifference $subject ('allows ' + $Protocol + ' ' + $LocalPort + ' from any address: disable it')
        if (Approve-MigfwChange $rule.Name 'Disable firewall rule') {
            $rule | Disable-NetFirewallRule -Confirm:$false
        }
    }
}

# Group policy can make Windows ignore local rules, migfw's included.
function Test-MigfwLocalRulesApply {
    foreach ($firewallProfile in @(Get-NetFirewallProfile -PolicyStore ActiveStore)) {
        if ([string]$firewallProfile.AllowLocalFirewallRules -eq 'False') {
            throw ('the ' + $firewallProfile.Name + ' firewall profile ignores local rules (group policy AllowLocalFirewallRules False), so migfw''s rules would have no effect')
        }
    }
}

# The local subnets Hyper-V accepts incoming live migration on, compared as intervals.
function Sync-MigfwMigrationNetworks {
    param([string[]]$Subnet)
    $current = @(Get-VMMigrationNetwork)
    $found = @{}
    foreach ($network in $current) { $found[(Get-MigfwAddressKey @([string]$network.Subnet))] = $true }
    foreach ($wanted in $Subnet) {
        if ($found.ContainsKey((Get-MigfwAddressKey @($wanted)))) { continue }
        Write-MigfwDifference 'migration network' ($wanted + ' missing: add it')
        if (Approve-MigfwChange $wanted 'Add-VMMigrationNetwork') {
            Add-VMMigrationNetwork -Subnet $wanted -Confirm:$false
        }
    }
    $wantedKeys = @($Subnet | ForEach-Object { Get-MigfwAddressKey @($_) })
    foreach ($network in $current) {
        if ($wantedKeys -contains (Get-MigfwAddressKey @([string]$network.Subnet))) { continue }
        Write-MigfwDifference 'migration network' ([string]$network.Subnet + ' not in the policy: remove it')
        if (Approve-MigfwChange ([string]$network.Subnet) 'Remove-VMMigrationNetwork') {
            Remove-VMMigrationNetwork -Subnet ([string]$network.Subnet) -Confirm:$false
        }
    }
}

# Live migration on, its authentication and transport, and only the networks above.
function Sync-MigfwVMHost {
    param([string]$AuthenticationType, [string]$PerformanceOption)
    if ((Get-CimInstance -ClassName Win32_ComputerSystem).PartOfDomain -ne $true) {
        throw 'this host is not in an Active Directory domain; Hyper-V live migration needs one'
    }
    if (Get-Service -Name ClusSvc -ErrorAction SilentlyContinue) {
        Write-Warning 'this host runs the Failover Cluster service: clustered VMs migrate with the cluster''s own live migration settings (Failover Cluster Manager); migfw sets the host''s'
    }
    if ($AuthenticationType -eq 'CredSSP') {
        Write-Warning 'CredSSP hands the user''s credentials to the remote host, and Windows Server 2025 (Credential Guard) cannot migrate with it: use Kerberos constrained delegation'
    }
    $vmHost = Get-VMHost
    if ($vmHost.VirtualMachineMigrationEnabled -ne $true) {
        Write-MigfwDifference 'live migration' 'disabled: enable it'
        if (Approve-MigfwChange 'this host' 'Enable-VMMigration') {
            Enable-VMMigration -Confirm:$false
        }
    }
    if ([string]$vmHost.VirtualMachineMigrationAuthenticationType -ne $AuthenticationType) {
        Write-MigfwDifference 'live migration authentication' ([string]$vmHost.VirtualMachineMigrationAuthenticationType + ' -> ' + $AuthenticationType)
        if (Approve-MigfwChange 'this host' ('Set-VMHost -VirtualMachineMigrationAuthenticationType ' + $AuthenticationType)) {
            Set-VMHost -VirtualMachineMigrationAuthenticationType $AuthenticationType -Confirm:$false
        }
    }
    if ($PerformanceOption -and [string]$vmHost.VirtualMachineMigrationPerformanceOption -ne $PerformanceOption) {
        Write-MigfwDifference 'live migration performance option' ([string]$vmHost.VirtualMachineMigrationPerformanceOption + ' -> ' + $PerformanceOption)
        if (Approve-MigfwChange 'this host' ('Set-VMHost -VirtualMachineMigrationPerformanceOption ' + $PerformanceOption)) {
            Set-VMHost -VirtualMachineMigrationPerformanceOption $PerformanceOption -Confirm:$false
        }
    }
    if ($vmHost.UseAnyNetworkForMigration -ne $false) {
        Write-MigfwDifference 'live migration networks' 'any network is used: use only the migration networks'
        if (Approve-MigfwChange 'this host' 'Set-VMHost -UseAnyNetworkForMigration $false') {
            Set-VMHost -UseAnyNetworkForMigration $false -Confirm:$false
        }
    }
}
