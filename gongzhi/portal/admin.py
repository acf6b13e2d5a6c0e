# The portal's own rows (one-time login codes) are not edited by hand; stations are in gongzhi.stations.admin.
