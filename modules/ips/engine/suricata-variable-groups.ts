/**
 * Suricata's stock server and port groups (as in its suricata.yaml), which rule sets such as ET
 * Open name. Server groups point at `$HOME_NET`. `HOME_NET`, `EXTERNAL_NET`, `HTTP_PORTS` and
 * `SSH_PORTS` are not here: each user of this table sets those itself.
 */
export const SURICATA_VARIABLE_GROUPS: Readonly<Record<string, string>> = {
  HTTP_SERVERS: '$HOME_NET',
  SMTP_SERVERS: '$HOME_NET',
  SQL_SERVERS: '$HOME_NET',
  DNS_SERVERS: '$HOME_NET',
  TELNET_SERVERS: '$HOME_NET',
  AIM_SERVERS: '$EXTERNAL_NET',
  DC_SERVERS: '$HOME_NET',
  DNP3_SERVER: '$HOME_NET',
  DNP3_CLIENT: '$HOME_NET',
  MODBUS_CLIENT: '$HOME_NET',
  MODBUS_SERVER: '$HOME_NET',
  ENIP_CLIENT: '$HOME_NET',
  ENIP_SERVER: '$HOME_NET',
  SHELLCODE_PORTS: '!80',
  ORACLE_PORTS: '1521',
  DNP3_PORTS: '20000',
  MODBUS_PORTS: '502',
  FILE_DATA_PORTS: '[$HTTP_PORTS,110,143]',
  FTP_PORTS: '21',
  GENEVE_PORTS: '6081',
  VXLAN_PORTS: '4789',
  TEREDO_PORTS: '3544',
};
